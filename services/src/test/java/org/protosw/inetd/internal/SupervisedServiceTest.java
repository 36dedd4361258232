package org.protosw.inetd.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.IPPROTO_TCP;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.StandaloneStack;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;
import org.protosw.spi.ProtoSw;
import org.protosw.tcp.internal.TcpProtoSw;
import org.protosw.udp.internal.UdpProtoSw;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * Issue 11's supervised services: when the protocol under a service is unloaded, the service
 * waits (and says so in {@code inetd list} and the log), and when the protocol returns it
 * serves again, without being restarted by anyone.
 */
class SupervisedServiceTest {
    private final StandaloneStack stack;
    private final InetdCommand inetd = new InetdCommand();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(InetService.class);
    private ProtoSw udp = new UdpProtoSw();
    private ProtoSw tcp = TcpProtoSw.standalone();

    SupervisedServiceTest() throws SocketException {
        stack = new StandaloneStack();
    }

    @BeforeEach
    void setUp() {
        stack.register(udp, UdpProtoSw.PROPERTIES, "org.protosw.udp (test)");
        stack.register(tcp, TcpProtoSw.PROPERTIES, "org.protosw.tcp (test)");
        inetd.addStack(stack.stack());
        log.start();
        logger.setLevel(ch.qos.logback.classic.Level.INFO);
        logger.addAppender(log);
    }

    @AfterEach
    void tearDown() {
        logger.detachAppender(log);
        logger.setLevel(null);
        inetd.deactivate();
        stack.close();
    }

    private String run(String... argv) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        inetd.run(new PrintStream(buf, true, StandardCharsets.UTF_8), argv);
        return buf.toString(StandardCharsets.UTF_8);
    }

    private String stateOf(String name) {
        return inetd.inetd().list().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow().state();
    }

    private static void await(String what, BooleanSupplier cond) throws InterruptedException {
        for (int i = 0; i < 2000 && !cond.getAsBoolean(); i++) {
            Thread.sleep(5);
        }
        assertThat(cond.getAsBoolean()).as(what).isTrue();
    }

    private List<String> logLines() {
        return log.list.stream().map(e -> e.getLevel() + " " + e.getFormattedMessage()).toList();
    }

    private byte[] udpEcho(byte[] msg) throws SocketException {
        try (Socket c = stack.stack().socket(AF_INET, SOCK_DGRAM, 0)) {
            c.setOption(SockOpt.SO_RCVTIMEO, 5000);
            c.sendto(ByteBuffer.wrap(msg), 0, InetSockAddr.of("127.0.0.1", 7));
            ByteBuffer rx = ByteBuffer.allocate(2000);
            RecvInfo info = c.recvfrom(rx, 0);
            return Arrays.copyOf(rx.array(), info.length());
        }
    }

    /** Sends {@code data} to the TCP echo service and returns the SHA-256 of what came back. */
    private byte[] tcpEchoDigest(byte[] data) throws Exception {
        try (Socket c = stack.stack().socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)) {
            c.connect(InetSockAddr.of("127.0.0.1", 7));
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    // not closed: closing the stream closes the socket, which the reader still uses
                    OutputStream out = c.outputStream();
                    out.write(data);
                    out.flush();
                    c.shutdown(1);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            InputStream in = c.inputStream();
            byte[] buf = new byte[8192];
            for (int n; (n = in.read(buf)) > 0;) {
                md.update(buf, 0, n);
            }
            writer.join();
            return md.digest();
        }
    }

    @Test
    void udpEchoWaitsWhileUdpIsGoneAndServesWhenItReturns() throws Exception {
        assertThat(run("start", "echo", "udp").trim()).isEqualTo("echo-udp-7");
        assertThat(udpEcho("before".getBytes())).isEqualTo("before".getBytes());

        stack.unregister(udp);
        await("the service notices UDP left", () -> stateOf("echo-udp-7").equals("waiting for udp"));
        assertThat(run("list")).contains(" waiting for udp ");
        assertThat(logLines()).anyMatch(l -> l.startsWith("WARN inetd echo-udp-7: UDP went away (")
                && l.endsWith("); waiting for it to return"));

        udp = new UdpProtoSw();
        stack.register(udp, UdpProtoSw.PROPERTIES, "org.protosw.udp (test, again)");
        await("the service serves again", () -> stateOf("echo-udp-7").equals("serving"));
        assertThat(udpEcho("after".getBytes())).isEqualTo("after".getBytes());
        assertThat(logLines()).anyMatch(l -> l.startsWith("INFO inetd echo-udp-7: UDP is back, serving on port 7 again after "));
    }

    @Test
    void tcpEchoRelistensAfterTcpReturnsAndServesIntactBytes() throws Exception {
        assertThat(run("start", "echo", "tcp").trim()).isEqualTo("echo-tcp-7");
        byte[] data = new byte[256 * 1024];
        new Random(11).nextBytes(data);
        byte[] want = MessageDigest.getInstance("SHA-256").digest(data);
        assertThat(tcpEchoDigest(data)).isEqualTo(want);

        stack.unregister(tcp);
        await("the service notices TCP left", () -> stateOf("echo-tcp-7").equals("waiting for tcp"));
        try (Socket c = stack.stack().socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)) {
            throw new AssertionError("a TCP socket while TCP is unloaded: " + c);
        } catch (SocketException e) {
            assertThat(e.errno()).isEqualTo(Errno.EPROTONOSUPPORT);
        }

        tcp = TcpProtoSw.standalone();
        stack.register(tcp, TcpProtoSw.PROPERTIES, "org.protosw.tcp (test, again)");
        await("the service listens again", () -> stateOf("echo-tcp-7").equals("serving"));
        assertThat(tcpEchoDigest(data)).isEqualTo(want);
        assertThat(logLines()).anyMatch(l -> l.startsWith("WARN inetd echo-tcp-7: TCP went away ("));
        assertThat(logLines()).anyMatch(l -> l.startsWith("INFO inetd echo-tcp-7: TCP is back, serving on port 7 again after "));
        assertThat(logLines()).noneMatch(l -> l.contains("the service stops"));
    }

    @Test
    void aServiceStoppedWhileItWaitsLeavesNothingOpen() throws Exception {
        run("start", "discard", "udp", "9");
        stack.unregister(udp);
        await("the service waits", () -> stateOf("discard-udp-9").startsWith("waiting"));
        run("stop", "discard-udp-9");
        assertThat(inetd.inetd().list()).isEmpty();

        udp = new UdpProtoSw();
        stack.register(udp, UdpProtoSw.PROPERTIES, "org.protosw.udp (test, again)");
        // nothing came back to take the port: it binds
        try (Socket c = stack.stack().socket(AF_INET, SOCK_DGRAM, 0)) {
            c.bind(InetSockAddr.of("0.0.0.0", 9));
        }
    }
}
