package org.protosw.itest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Random;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.NetStack;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;

/**
 * Issue 11's supervised services in the real runtime: {@code net:inetd start http} keeps
 * serving across the TCP bundle stopped and started, and across a bundle update (which, until
 * live upgrade exists, unloads TCP and loads it again). Before, the accept loop logged
 * "accept failed, the service stops" and HTTP never came back although TCP did.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class InetdSupervisionIT extends ProtoswTestSupport {
    private static final int PORT = 8081;

    private GogoShell shell() {
        return new GogoShell(service(CommandProcessor.class, TIMEOUT));
    }

    private NetStack stack() {
        return service(NetStack.class, "(" + NetStack.VNET_PROPERTY + "=" + NetStack.DEFAULT_VNET + ")", TIMEOUT);
    }

    /** GET of {@code /file.bin} over the stack's TCP; the body, or null when the service did not answer. */
    private byte[] get() {
        try (Socket c = stack().socket(AF_INET, SOCK_STREAM, 0)) {
            c.setOption(SockOpt.SO_RCVTIMEO, 5000);
            c.connect(InetSockAddr.of("127.0.0.1", PORT));
            OutputStream out = c.outputStream();
            out.write("GET /file.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = c.inputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            byte[] r = all.toByteArray();
            String head = new String(r, 0, Math.min(r.length, 4096), StandardCharsets.ISO_8859_1);
            int end = head.indexOf("\r\n\r\n");
            if (!head.startsWith("HTTP/1.1 200 ") || end < 0) {
                throw new AssertionError("unexpected answer: " + head.lines().findFirst().orElse(""));
            }
            return Arrays.copyOfRange(r, end + 4, r.length);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    private static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }

    private String stateLine(GogoShell sh) throws Exception {
        return sh.run("net:inetd list").lines().filter(l -> l.startsWith("http-tcp-" + PORT + " ")).findFirst().orElse("");
    }

    private void awaitState(GogoShell sh, String state) {
        waitFor("http-tcp-" + PORT + " " + state, TIMEOUT, () -> {
            try {
                return stateLine(sh).contains(" " + state + " ");
            } catch (Exception e) {
                return false;
            }
        });
    }

    @Test
    public void httpServesAgainAfterTcpStopsAndStartsAndAfterAnUpdate() throws Exception {
        Path root = Files.createTempDirectory(itestFolder(), "www");
        byte[] file = new byte[300_000];
        new Random(7).nextBytes(file);
        Files.write(root.resolve("file.bin"), file);
        GogoShell sh = shell();
        assertEquals("http-tcp-" + PORT, sh.run("net:inetd start http " + PORT + " --root " + root).trim());
        try {
            assertArrayEquals(sha256(file), sha256(get()));
            Bundle tcp = requireBundle("org.protosw.tcp");

            tcp.stop();
            awaitState(sh, "waiting for tcp");
            tcp.start();
            awaitState(sh, "serving");
            assertArrayEquals(sha256(file), sha256(get()));

            tcp.update();
            waitFor("HTTP after the TCP bundle's update", TIMEOUT, () -> {
                try {
                    return stateLine(sh).contains(" serving ") && get() != null;
                } catch (Exception e) {
                    return false;
                }
            });
            assertArrayEquals(sha256(file), sha256(get()));

            String log = Files.readString(logFile());
            assertTrue("no 'went away' line in the log", log.contains("inetd http-tcp-" + PORT + ": TCP went away ("));
            assertTrue("no 'is back' line in the log", log.contains("inetd http-tcp-" + PORT + ": TCP is back, serving on port " + PORT + " again"));
            assertTrue("the service stopped for good once", !log.contains("inetd http-tcp-" + PORT + ": accept failed, the service stops"));
        } finally {
            sh.run("net:inetd stop http-tcp-" + PORT);
        }
    }
}
