package org.protosw.ib.demo.internal.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.socket.SocketConstants.SOCK_SEQPACKET;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.protosw.internal.shell.NetstatCommand;
import org.protosw.internal.shell.ProtocolsCommand;
import org.protosw.socket.Socket;

/** The core's own commands show the AF_IB domain like any other: protocols, domains, sockets, statistics. */
class IbNetstatTest {
    private final IbLab lab;
    private final NetstatCommand netstat = new NetstatCommand();
    private final ProtocolsCommand protocols = new ProtocolsCommand();

    IbNetstatTest() throws Exception {
        lab = new IbLab();
        netstat.useCore(lab.stack.core());
        protocols.useCore(lab.stack.core());
    }

    @AfterEach
    void tearDown() {
        lab.close();
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

    @Test
    void protocolsListsTheDomainAndBothEntriesOnUdp() {
        String t = out(() -> protocols.protocols());
        assertThat(t).containsPattern("(?m)^ib +seqpacket +1 +ib-rc +org\\.protosw\\.ib\\.demo \\(test\\) .* active +0 +PR_ATOMIC,PR_CONNREQUIRED +udp$");
        assertThat(t).containsPattern("(?m)^ib +stream +2 +ib-sdp +org\\.protosw\\.ib\\.demo \\(test\\) .* active +0 +PR_CONNREQUIRED,PR_WANTRCVD +udp$");
        assertThat(out(() -> protocols.protocols("domains"))).containsPattern("(?m)^ +27 +ib +IbSockAddr +org\\.protosw\\.ib\\.demo \\(test\\)$");
    }

    @Test
    void netstatShowsTheSocketsWithTheirAddressesAndTheRocePort() throws Exception {
        Socket[] p = lab.connect(SOCK_SEQPACKET, 0x1000);
        Socket[] q = lab.connect(SOCK_STREAM, 0x1001);
        try (Socket l = IbLab.listener(lab.b, SOCK_SEQPACKET, 0x1002)) {
            String a = out(() -> netstat.netstat("-an"));
            assertThat(a).containsPattern("(?m)^udp4 +0 +0 +\\*\\.4791 +\\*\\.\\* +\\(used by domain ib\\)$");
            assertThat(a).containsPattern("(?m)^ib-rc +0 +0 +\\[::ffff:192\\.0\\.2\\.1\\]:\\* +\\[::ffff:192\\.0\\.2\\.2\\]:0x1000 +ESTABLISHED$");
            assertThat(a).containsPattern("(?m)^ib-sdp +0 +0 +\\[::ffff:192\\.0\\.2\\.1\\]:\\* +\\[::ffff:192\\.0\\.2\\.2\\]:0x1001 +ESTABLISHED$");
            String b = out(() -> netstat.netstat("-an", "-j", "b"));
            assertThat(b).containsPattern("(?m)^ib-rc +0 +0 +\\[::ffff:192\\.0\\.2\\.2\\]:0x1000 +\\[::ffff:192\\.0\\.2\\.1\\]:\\* +ESTABLISHED$");
            assertThat(b).containsPattern("(?m)^ib-rc +0 +0 +\\[::\\]:0x1002 +\\*\\.\\* +LISTEN$");
            // -T: each connection's queue pair beside its state
            String details = out(() -> netstat.netstat("-an", "-T"));
            assertThat(details).containsPattern("(?m)^ +\\(state\\) +qpn +qp +peer_qpn +sq_psn +rq_psn +retransmits +timeouts +rnr_naks +outstanding_wrs$|qpn +qp +peer_qpn");
            assertThat(details).containsPattern("(?m)^ib-rc .* ESTABLISHED +0x[0-9a-f]+ +RTS +0x[0-9a-f]+ ");
            // netstat -s: the protocol's socket counters, then the vnet's HCA counters
            String s = out(() -> netstat.netstat("-s", "-p", "ib-rc"));
            assertThat(s).startsWith("ib-rc:\n\t1 sockets attached\n").contains("\t1 connections established (active)\n")
                    .contains("\tmalformed:\n\t\ttruncated: 0\n").contains("\t\tbad ICRC: 0\n").contains("\t1 times port 4791 was opened (UDP loaded)\n");
        }
        for (Socket x : new Socket[] {p[0], p[1], q[0], q[1]}) {
            x.close();
        }
    }
}
