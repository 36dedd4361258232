package org.protosw.inetd.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/** net:inetd on a real stack with UDP (and without TCP), over lo0. */
class InetdCommandTest {
    private UdpStack s;

    @BeforeEach
    void setUp() throws Exception {
        s = new UdpStack();
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private String run(String... argv) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        s.inetd.run(new PrintStream(buf, true, StandardCharsets.UTF_8), argv);
        return buf.toString(StandardCharsets.UTF_8);
    }

    private String error(String... argv) {
        Throwable t = catchThrowable(() -> run(argv));
        assertThat(t).isInstanceOf(InetdException.class);
        assertThat(t.getMessage()).doesNotContain("\n");
        assertThat(t.getStackTrace()).isEmpty();
        return t.getMessage();
    }

    private Socket client() throws SocketException {
        Socket c = s.stack.stack().socket(AF_INET, SOCK_DGRAM, 0);
        c.setOption(SockOpt.SO_RCVTIMEO, 5000);
        return c;
    }

    @Test
    void udpEchoSendsEveryDatagramBackAndCountsIt() throws Exception {
        assertThat(run("start", "echo", "udp")).isEqualTo("echo-udp-7\n");
        try (Socket c = client()) {
            ByteBuffer rx = ByteBuffer.allocate(2000);
            for (int i = 0; i < 5; i++) {
                byte[] msg = new byte[100 + i * 300];
                Arrays.fill(msg, (byte) i);
                c.sendto(ByteBuffer.wrap(msg), 0, InetSockAddr.of("127.0.0.1", 7));
                rx.clear();
                RecvInfo info = c.recvfrom(rx, 0);
                assertThat(Arrays.copyOf(rx.array(), info.length())).isEqualTo(msg);
                assertThat(info.from()).isEqualTo(InetSockAddr.of("127.0.0.1", 7));
            }
        }
        // the service counts a reply once its send returned, which may be after the client has it
        InetService echo = s.inetd.inetd().list().get(0);
        for (int i = 0; i < 500 && echo.stats().bytesOut.sum() < 3500; i++) {
            Thread.sleep(10);
        }
        String list = run("list");
        assertThat(list.lines().toList()).hasSize(2);
        assertThat(list.lines().toList().get(0)).startsWith("NAME        VNET     PROTO  PORT  CONNS  ACTIVE  DGRAMS  BYTES-IN  BYTES-OUT  ERRORS  STATE    ROOT");
        // 100 + 400 + 700 + 1000 + 1300 bytes each way
        assertThat(list.lines().toList().get(1).split(" +")).containsExactly("echo-udp-7", "default", "udp", "7", "-", "-", "5", "3500", "3500", "0", "serving", "-");
    }

    @Test
    void udpChargenAnswersEachDatagramWithLinesAndDiscardAnswersNothing() throws Exception {
        run("start", "chargen", "udp", "1919");
        run("start", "discard", "udp");
        try (Socket c = client()) {
            c.sendto(ByteBuffer.wrap(new byte[] {1}), 0, InetSockAddr.of("127.0.0.1", 1919));
            ByteBuffer rx = ByteBuffer.allocate(2000);
            RecvInfo info = c.recvfrom(rx, 0);
            assertThat(info.length()).isEqualTo(444);
            assertThat(new String(rx.array(), 0, 74, StandardCharsets.US_ASCII)).startsWith(" !\"#").endsWith("\r\n");

            c.sendto(ByteBuffer.wrap(new byte[50]), 0, InetSockAddr.of("127.0.0.1", 9));
            c.setOption(SockOpt.SO_RCVTIMEO, 300);
            rx.clear();
            Throwable t = catchThrowable(() -> c.recvfrom(rx, 0));
            assertThat(t).isInstanceOf(SocketException.class);
            assertThat(((SocketException) t).errno()).isEqualTo(Errno.EAGAIN);
        }
        InetService discard = s.inetd.inetd().list().stream().filter(x -> x.name().equals("discard-udp-9")).findFirst().orElseThrow();
        assertThat(discard.stats().bytesIn.sum()).isEqualTo(50);
        assertThat(discard.stats().bytesOut.sum()).isZero();
    }

    @Test
    void stopClosesTheSocketSoThePortIsFreeAgain() throws Exception {
        run("start", "echo", "udp", "7000");
        assertThat(error("start", "echo", "udp", "7000")).startsWith("inetd: echo-udp-7000 already runs");
        run("stop", "echo-udp-7000");
        assertThat(run("list").lines().count()).isEqualTo(1);
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("inetd-echo-udp-7000"));
        try (Socket c = client()) {
            c.bind(InetSockAddr.of("0.0.0.0", 7000));
        }
        assertThat(error("stop", "echo-udp-7000")).isEqualTo("inetd: no service named echo-udp-7000 (running: none)");
    }

    @Test
    void tcpServicesSayThatNoTcpIsLoaded(@TempDir Path root) {
        // with no stream protocol at all the core answers ESOCKTNOSUPPORT (the domain lacks the type)
        assertThat(error("start", "echo", "tcp"))
                .isEqualTo("inetd: cannot start echo tcp on port 7 in vnet default: no TCP protocol is loaded (ESOCKTNOSUPPORT); start the TCP bundle first");
        assertThat(error("start", "http", "8080", "--root", root.toString()))
                .startsWith("inetd: cannot start http tcp on port 8080 in vnet default: no TCP protocol is loaded");
        assertThat(s.inetd.inetd().list()).isEmpty();
    }

    @Test
    void badArgumentsSayWhatIsAccepted(@TempDir Path root) {
        assertThat(error()).startsWith("inetd: missing start, stop or list (usage: ");
        assertThat(error("begin")).startsWith("inetd: unknown subcommand 'begin' (accepted: start, stop, list)");
        assertThat(error("start", "daytime", "udp")).startsWith("inetd: unknown service 'daytime' (accepted: echo, discard, chargen, http)");
        assertThat(error("start", "echo")).startsWith("inetd: missing tcp or udp after echo");
        assertThat(error("start", "echo", "sctp")).startsWith("inetd: unknown transport 'sctp' (accepted: tcp, udp)");
        assertThat(error("start", "echo", "udp", "70000")).startsWith("inetd: port 70000 is out of range (accepted: 1 to 65535)");
        assertThat(error("start", "echo", "udp", "7", "8")).startsWith("inetd: unexpected '8'");
        assertThat(error("start", "http")).startsWith("inetd: http needs --root DIR");
        assertThat(error("start", "http", "udp", "--root", root.toString())).startsWith("inetd: http runs over tcp only");
        assertThat(error("start", "http", "--root", root.resolve("none").toString())).isEqualTo("inetd: --root " + root.resolve("none") + " is not a folder");
        assertThat(error("start", "echo", "udp", "-j", "elsewhere")).isEqualTo("inetd: no vnet named 'elsewhere' (known: default)");
        assertThat(error("start", "echo", "udp", "-x")).startsWith("inetd: unknown option '-x'");
        assertThat(error("stop")).startsWith("inetd: missing the name of the service to stop");
    }

    @Test
    void aVnetThatGoesAwayTakesItsServicesWithIt() throws Exception {
        var b = s.stack.createVnet("b");
        s.inetd.addStack(b);
        assertThat(run("start", "echo", "udp", "-j", "b")).isEqualTo("echo-udp-7@b\n");
        run("start", "echo", "udp");
        s.inetd.removeStack(b);
        assertThat(s.inetd.inetd().list()).extracting(InetService::name).containsExactly("echo-udp-7");
    }

    @Test
    void stoppingTheBundleStopsEveryService() throws Exception {
        run("start", "echo", "udp");
        run("start", "chargen", "udp");
        s.inetd.deactivate();
        assertThat(s.inetd.inetd().list()).isEmpty();
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().startsWith("inetd-"));
        try (Socket c = client()) {
            c.bind(InetSockAddr.of("0.0.0.0", 7));
        }
    }
}
