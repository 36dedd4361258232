package org.protosw.udp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.protosw.udp.internal.FakeContext.EM0_ADDR;
import static org.protosw.udp.internal.FakeContext.FAR;
import static org.protosw.udp.internal.FakeContext.PEER;

import org.junit.jupiter.api.Test;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.spi.IcmpError;
import org.protosw.spi.Packet;

class UdpCtlInputTest extends UdpTestbed {
    /** What an ICMP error quotes: our IP header and the first 8 bytes of our datagram. */
    private static Packet quote(int src, int sport, int dst, int dport) {
        byte[] u = Datagrams.udp(src, sport, dst, dport, new byte[32]);
        Packet full = Datagrams.ip(src, dst, u);
        full.setLength(28);
        return full;
    }

    private Sock connectedTo(int faddr, int fport) throws Exception {
        Sock s = open();
        s.pcb().connect(addr(faddr, fport));
        return s;
    }

    private static int lport(Sock s) {
        return ((InetSockAddr) s.pcb().sockaddr()).port();
    }

    @Test
    void portUnreachableRefusesTheConnectedSocket() throws Exception {
        Sock s = connectedTo(PEER, 53);
        Sock bystander = connectedTo(PEER, 54);
        udp.ctlinput(new IcmpError(3, 3, 0, quote(EM0_ADDR, lport(s), PEER, 53)));
        assertThat(s.so().error).isEqualTo(Errno.ECONNREFUSED);
        assertThat(bystander.so().error).isNull();
    }

    @Test
    void unconnectedSocketsIgnoreIcmpErrors() throws Exception {
        Sock s = bound(0, 4000);
        Sock specific = bound(EM0_ADDR, 4001);
        udp.ctlinput(new IcmpError(3, 3, 0, quote(EM0_ADDR, 4000, PEER, 53)));
        udp.ctlinput(new IcmpError(3, 3, 0, quote(EM0_ADDR, 4001, PEER, 53)));
        assertThat(s.so().error).isNull();
        assertThat(specific.so().error).isNull();
    }

    @Test
    void unreachableCodesMapToErrnosAndNeedFragIsIgnored() throws Exception {
        int[][] cases = {
            {3, 0}, {3, 1}, {3, 2}, {3, 3}, {3, 4}, {3, 10}, {3, 13}, {11, 0}, {11, 1}, {12, 0},
        };
        Errno[] expected = {
            Errno.ENETUNREACH, Errno.EHOSTUNREACH, Errno.ECONNREFUSED, Errno.ECONNREFUSED, null,
            Errno.EHOSTUNREACH, Errno.EHOSTUNREACH, Errno.EHOSTUNREACH, null, null,
        };
        for (int i = 0; i < cases.length; i++) {
            Sock s = connectedTo(FAR, 1000 + i);
            udp.ctlinput(new IcmpError(cases[i][0], cases[i][1], cases[i][0] == 3 && cases[i][1] == 4 ? 1280 : 0,
                    quote(EM0_ADDR, lport(s), FAR, 1000 + i)));
            assertThat(s.so().error).as("type %d code %d", cases[i][0], cases[i][1]).isEqualTo(expected[i]);
        }
    }

    @Test
    void aQuoteOfAnotherFourTupleChangesNothing() throws Exception {
        Sock s = connectedTo(PEER, 53);
        udp.ctlinput(new IcmpError(3, 3, 0, quote(EM0_ADDR, lport(s), PEER, 54)));
        udp.ctlinput(new IcmpError(3, 3, 0, quote(EM0_ADDR, lport(s), FAR, 53)));
        udp.ctlinput(new IcmpError(3, 3, 0, quote(EM0_ADDR, lport(s) + 1, PEER, 53)));
        assertThat(s.so().error).isNull();
    }

    @Test
    void malformedQuotesAreIgnoredWithoutThrowing() throws Exception {
        Sock s = connectedTo(PEER, 53);
        Packet notUdp = quote(EM0_ADDR, lport(s), PEER, 53);
        notUdp.set8(9, 6);
        Packet shortQuote = quote(EM0_ADDR, lport(s), PEER, 53);
        shortQuote.setLength(22);
        Packet badIhl = quote(EM0_ADDR, lport(s), PEER, 53);
        badIhl.set8(0, 0x4f);
        Packet v6 = quote(EM0_ADDR, lport(s), PEER, 53);
        v6.set8(0, 0x65);
        for (Packet q : new Packet[] {notUdp, shortQuote, badIhl, v6, Packet.allocate(0), null}) {
            assertThatCode(() -> udp.ctlinput(new IcmpError(3, 3, 0, q))).doesNotThrowAnyException();
        }
        assertThat(s.so().error).isNull();
    }
}
