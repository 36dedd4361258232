package org.protosw.itest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.NetStack;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/** The inetd bundle from deploy/: its shell command, its UDP and TCP services holding their ports and serving, and its stop closing every socket. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class InetdIT extends ProtoswTestSupport {

    private GogoShell shell() {
        return new GogoShell(service(CommandProcessor.class, TIMEOUT));
    }

    private NetStack stack() {
        return service(NetStack.class, "(" + NetStack.VNET_PROPERTY + "=" + NetStack.DEFAULT_VNET + ")", TIMEOUT);
    }

    @Test
    public void udpEchoStartedFromTheShellAnswersAndIsListed() throws Exception {
        GogoShell sh = shell();
        assertEquals("echo-udp-7007", sh.run("net:inetd start echo udp 7007").trim());
        try {
            try (Socket c = stack().socket(AF_INET, SOCK_DGRAM, 0)) {
                c.setOption(SockOpt.SO_RCVTIMEO, 5000);
                byte[] msg = "hello inetd".getBytes();
                c.sendto(ByteBuffer.wrap(msg), 0, InetSockAddr.of("127.0.0.1", 7007));
                ByteBuffer rx = ByteBuffer.allocate(100);
                RecvInfo info = c.recvfrom(rx, 0);
                assertArrayEquals(msg, Arrays.copyOf(rx.array(), info.length()));
            }
            String list = sh.run("net:inetd list");
            assertTrue(list, list.lines().anyMatch(l -> l.startsWith("echo-udp-7007 ") && l.contains(" udp ") && l.contains(" 7007 ")));
            String help = sh.run("help net:inetd");
            assertTrue(help, help.contains("inetd start echo|discard|chargen tcp|udp"));
        } finally {
            sh.run("net:inetd stop echo-udp-7007");
        }
        assertFalse(sh.run("net:inetd list").contains("echo-udp-7007"));
    }

    /**
     * The first two lines RFC 864's pattern gives: the 95 printing characters numbered from
     * the space, line 0 holding characters 0 to 71 and line 1 characters 1 to 72, each line
     * ended by CR LF.
     */
    private static final String CHARGEN_FIRST_LINES =
            " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefg\r\n"
            + "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefgh\r\n";

    @Test
    public void stoppingTheBundleStopsItsServicesAndFreesTheirPorts() throws Exception {
        GogoShell sh = shell();
        assertEquals("echo-udp-7009", sh.run("net:inetd start echo udp 7009").trim());
        assertEquals("chargen-tcp-7010", sh.run("net:inetd start chargen tcp 7010").trim());
        // the services hold their ports: a second bind is refused...
        assertEquals(Errno.EADDRINUSE, bindError(SOCK_DGRAM, 7009));
        assertEquals(Errno.EADDRINUSE, bindError(SOCK_STREAM, 7010));
        // ...and they serve
        try (Socket c = stack().socket(AF_INET, SOCK_DGRAM, 0)) {
            c.setOption(SockOpt.SO_RCVTIMEO, 5000);
            byte[] msg = "held and served".getBytes(StandardCharsets.US_ASCII);
            c.sendto(ByteBuffer.wrap(msg), 0, InetSockAddr.of("127.0.0.1", 7009));
            ByteBuffer rx = ByteBuffer.allocate(100);
            RecvInfo info = c.recvfrom(rx, 0);
            assertArrayEquals(msg, Arrays.copyOf(rx.array(), info.length()));
        }
        try (Socket c = stack().socket(AF_INET, SOCK_STREAM, 0)) {
            c.setOption(SockOpt.SO_RCVTIMEO, 5000);
            c.connect(InetSockAddr.of("127.0.0.1", 7010));
            ByteBuffer rx = ByteBuffer.allocate(CHARGEN_FIRST_LINES.length());
            while (rx.hasRemaining()) {
                c.recv(rx);
            }
            assertEquals(CHARGEN_FIRST_LINES, new String(rx.array(), StandardCharsets.US_ASCII));
        }

        Bundle inetd = requireBundle("org.protosw.inetd");
        inetd.stop();
        try {
            // the services' sockets are closed: nobody listens on 7010, and both ports can be bound again
            try (Socket c = stack().socket(AF_INET, SOCK_STREAM, 0)) {
                SocketException e = assertThrows(SocketException.class, () -> c.connect(InetSockAddr.of("127.0.0.1", 7010)));
                assertEquals(e.getMessage(), Errno.ECONNREFUSED, e.errno());
            }
            assertEquals(null, bindError(SOCK_DGRAM, 7009));
            assertEquals(null, bindError(SOCK_STREAM, 7010));
        } finally {
            inetd.start();
        }
        waitFor("net:inetd back", TIMEOUT, () -> {
            try {
                return shell().run("net:inetd list").startsWith("NAME");
            } catch (Exception e) {
                return false;
            }
        });
    }

    /**
     * What binding {@code 0.0.0.0:port} answers, null when it succeeds. A TCP socket sets
     * SO_REUSEADDR first, as a server would, so connections the service left behind do not
     * count, only a socket still bound to the port.
     */
    private Errno bindError(int type, int port) throws SocketException {
        try (Socket s = stack().socket(AF_INET, type, 0)) {
            if (type == SOCK_STREAM) {
                s.setOption(SockOpt.SO_REUSEADDR, true);
            }
            s.bind(InetSockAddr.of("0.0.0.0", port));
            return null;
        } catch (SocketException e) {
            return e.errno();
        }
    }

    @Test
    public void theCoresClassesAreInAnUnnamedModuleWithNativeAccess() throws Exception {
        // the tun driver's downcalls need native access; bin/protosw grants it to ALL-UNNAMED,
        // which covers a bundle's classes (Felix loads them into unnamed modules)
        Module m = requireBundle("org.protosw.framework").loadClass("org.protosw.internal.net.Tun").getModule();
        assertFalse(m.isNamed());
        assertTrue(m.isNativeAccessEnabled());
    }
}
