package org.protosw.udp.shell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.IPPROTO_UDP;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.StandaloneStack;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.shell.CommandException;
import org.protosw.internal.shell.NetstatCommand;
import org.protosw.internal.shell.ProtocolsCommand;
import org.protosw.internal.shell.SysctlCommand;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.udp.internal.UdpProtoSw;

/** The net: commands over real UDP, loaded as its bundle registers it. */
class UdpShellTest {
    private StandaloneStack stack;
    private Vnet dflt;
    private NetstatCommand netstat;
    private SysctlCommand sysctl;
    private ProtocolsCommand protocols;

    @BeforeEach
    void setUp() throws Exception {
        stack = new StandaloneStack();
        stack.register(new UdpProtoSw(), UdpProtoSw.PROPERTIES, "org.protosw.udp [12] 1.0.0");
        dflt = stack.stack();
        netstat = new NetstatCommand();
        netstat.useCore(stack.core());
        sysctl = new SysctlCommand();
        sysctl.useCore(stack.core());
        protocols = new ProtocolsCommand();
        protocols.useCore(stack.core());
    }

    @AfterEach
    void tearDown() {
        stack.close();
    }

    private interface Body {
        void run() throws Exception;
    }

    private static String out(Body body) {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            body.run();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError(e);
        } finally {
            System.setOut(saved);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    private Socket udp() throws Exception {
        return dflt.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    }

    /** Waits (bounded) until some socket's receive queue holds {@code bytes}: input runs on the stack's workers. */
    private void awaitQueued(int bytes) throws Exception {
        for (int i = 0; i < 2500 && dflt.sockets().sockets().stream().noneMatch(s -> s.recvQ() == bytes); i++) {
            Thread.sleep(2);
        }
        assertThat(dflt.sockets().sockets()).anyMatch(s -> s.recvQ() == bytes);
    }

    @Test
    void netstatShowsUdpSocketsLikeNetstatAn() throws Exception {
        try (Socket server = udp(); Socket any = udp(); Socket client = udp()) {
            server.bind(new InetSockAddr(InAddr.LOOPBACK, 5353));
            any.bind(new InetSockAddr(InAddr.ANY, 9));
            client.bind(new InetSockAddr(InAddr.LOOPBACK, 40000));
            client.connect(new InetSockAddr(InAddr.LOOPBACK, 5353));
            client.send(ByteBuffer.wrap(new byte[300]), 0);
            awaitQueued(300);

            assertThat(out(() -> netstat.netstat())).isEqualTo("""
                    Active Internet connections (vnet default)
                    Proto  Recv-Q  Send-Q  Local Address    Foreign Address  (state)
                    udp4      300       0  127.0.0.1.5353   *.*
                    udp4        0       0  127.0.0.1.40000  127.0.0.1.5353
                    """);
            assertThat(out(() -> netstat.netstat("-an", "-p", "udp"))).isEqualTo("""
                    Active Internet connections (including servers) (vnet default)
                    Proto  Recv-Q  Send-Q  Local Address    Foreign Address  (state)
                    udp4      300       0  127.0.0.1.5353   *.*
                    udp4        0       0  *.9              *.*
                    udp4        0       0  127.0.0.1.40000  127.0.0.1.5353
                    """);
            assertThat(out(() -> netstat.netstat("-s", "-p", "udp"))).startsWith("udp:\n\t1 datagrams received\n").contains("\t1 delivered\n");
        }
    }

    @Test
    void protocolsShowsTheUdpBundle() {
        assertThat(out(() -> protocols.protocols())).isEqualTo("""
                DOMAIN  TYPE   PROTO  NAME  BUNDLE                              ID  VERSION  STATE   SOCKETS  FLAGS              USES
                inet    raw        0  raw   org.protosw.framework (standalone)               active        0  PR_ATOMIC,PR_ADDR  -
                inet    dgram     17  udp   org.protosw.udp                     12  1.0.0    active        0  PR_ATOMIC,PR_ADDR  -
                """);
    }

    @Test
    void sysctlSetsTheReceiveSpaceOfNewUdpSockets() throws Exception {
        String before = out(() -> sysctl.sysctl("net.inet.udp.recvspace"));
        assertThat(before).matches("net\\.inet\\.udp\\.recvspace: \\d+\n");
        assertThat(out(() -> sysctl.sysctl("-d", "net.inet.udp"))).contains("net.inet.udp.recvspace: receive buffer of new UDP sockets\n");
        assertThat(out(() -> sysctl.sysctl("net.inet.udp.recvspace=65536"))).isEqualTo(before.strip() + " -> 65536\n");
        try (Socket s = udp()) {
            assertThat(s.getOption(SockOpt.SO_RCVBUF)).isEqualTo(65536);
        }
        CommandException e = catchThrowableOfType(CommandException.class, () -> sysctl.sysctl("net.inet.udp.recvspace=0"));
        assertThat(e).hasMessage("sysctl: net.inet.udp.recvspace: 0 is out of range (accepted: 1 to 16777216)");
    }
}
