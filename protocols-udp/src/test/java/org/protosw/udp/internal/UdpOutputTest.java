package org.protosw.udp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.protosw.udp.internal.Datagrams.get16;
import static org.protosw.udp.internal.Datagrams.payload;
import static org.protosw.udp.internal.FakeContext.EM0_ADDR;
import static org.protosw.udp.internal.FakeContext.EM0_BCAST;
import static org.protosw.udp.internal.FakeContext.FAR;
import static org.protosw.udp.internal.FakeContext.PEER;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.protosw.spi.Packet;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.spi.ProtoContext;

class UdpOutputTest extends UdpTestbed {
    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void sendtoBuildsHeaderWithAnIndependentlyVerifiedChecksum() throws Exception {
        Sock s = open();
        byte[] data = text("hello, world");
        s.pcb().send(payload(data), addr(FAR, 53), 0);

        assertThat(ctx.outputs).hasSize(1);
        FakeContext.Output out = ctx.outputs.get(0);
        int lport = ((InetSockAddr) s.pcb().sockaddr()).port();
        assertThat(lport).as("implicit ephemeral bind").isNotZero();
        assertThat(out.src()).as("source from the default route's interface").isEqualTo(EM0_ADDR);
        assertThat(out.dst()).isEqualTo(FAR);
        assertThat(out.proto()).isEqualTo(17);
        assertThat(out.ttl()).as("stack default").isNegative();
        assertThat(out.tos()).isZero();
        assertThat(out.flags()).isZero();
        byte[] u = out.bytes();
        assertThat(u).hasSize(8 + data.length);
        assertThat(get16(u, 0)).isEqualTo(lport);
        assertThat(get16(u, 2)).isEqualTo(53);
        assertThat(get16(u, 4)).isEqualTo(u.length);
        assertThat(get16(u, 6)).isEqualTo(Datagrams.fieldFor(EM0_ADDR, FAR, u));
        assertThat(Datagrams.rfc768Sum(EM0_ADDR, FAR, u)).as("receiver's check").isZero();
        assertThat(Arrays.copyOfRange(u, 8, u.length)).isEqualTo(data);
        assertThat(stat("datagrams output")).isEqualTo(1);
    }

    @Test
    void theChecksumIsLeftToTheCoreOnlyForTheLoopback() throws Exception {
        Sock s = open();
        s.pcb().send(payload(text("to lo0")), addr(InAddr.LOOPBACK.bits(), 9), 0);
        s.pcb().send(payload(text("to em0")), addr(PEER, 9), 0);
        assertThat(ctx.packetFlags.get(0) & Packet.M_CSUM_PENDING).as("lo0: offloaded").isNotZero();
        assertThat(get16(ctx.outputs.get(0).bytes(), 6)).as("left unfilled").isZero();
        assertThat(ctx.packetFlags.get(1) & Packet.M_CSUM_PENDING).as("em0: computed").isZero();
        FakeContext.Output out = ctx.outputs.get(1);
        assertThat(Datagrams.rfc768Sum(out.src(), PEER, out.bytes())).isZero();
    }

    @Test
    void oddLengthAndEmptyPayloadsChecksumCorrectly() throws Exception {
        Sock s = bound(EM0_ADDR, 4000);
        s.pcb().send(payload(text("abc")), addr(PEER, 7), 0);
        s.pcb().send(payload(new byte[0]), addr(PEER, 7), 0);
        for (FakeContext.Output out : ctx.outputs) {
            assertThat(out.src()).isEqualTo(EM0_ADDR);
            assertThat(Datagrams.rfc768Sum(EM0_ADDR, PEER, out.bytes())).isZero();
        }
        assertThat(get16(ctx.outputs.get(1).bytes(), 4)).isEqualTo(8);
    }

    @Test
    void aComputedZeroChecksumIsSentAsAllOnes() throws Exception {
        Sock s = bound(EM0_ADDR, 4000);
        // Choose the last payload word so that the one's complement sum is 0xffff: checksum 0.
        byte[] data = new byte[4];
        byte[] probe = Datagrams.udp(EM0_ADDR, 4000, PEER, 9, data);
        probe[6] = 0;
        probe[7] = 0;
        int sumWithoutLast = ~Datagrams.rfc768Sum(EM0_ADDR, PEER, probe) & 0xffff;
        int last = 0xffff - sumWithoutLast;
        data[2] = (byte) (last >>> 8);
        data[3] = (byte) last;

        s.pcb().send(payload(data), addr(PEER, 9), 0);

        byte[] u = ctx.outputs.get(0).bytes();
        assertThat(get16(u, 6)).isEqualTo(0xffff);
        assertThat(Datagrams.rfc768Sum(EM0_ADDR, PEER, u)).isZero();
    }

    @Test
    void checksumTunableOffSendsZero() throws Exception {
        tunable("net.inet.udp.checksum", 0);
        Sock s = open();
        s.pcb().send(payload(text("x")), addr(PEER, 9), 0);
        assertThat(get16(ctx.outputs.get(0).bytes(), 6)).isZero();
    }

    @Test
    void connectedSendUsesPeerAndTheLocalAddressConnectChose() throws Exception {
        Sock s = open();
        s.pcb().connect(addr(PEER, 5353));
        s.pcb().send(payload(text("q")), null, 0);
        FakeContext.Output out = ctx.outputs.get(0);
        assertThat(out.src()).isEqualTo(EM0_ADDR);
        assertThat(out.dst()).isEqualTo(PEER);
        assertThat(get16(out.bytes(), 2)).isEqualTo(5353);
        assertThat(get16(out.bytes(), 0)).isEqualTo(((InetSockAddr) s.pcb().sockaddr()).port());
    }

    @Test
    void broadcastNeedsSoBroadcastAndPassesTheFlag() throws Exception {
        Sock s = open();
        assertThatThrownBy(() -> s.pcb().send(payload(text("b")), addr(EM0_BCAST, 67), 0))
                .isInstanceOf(SocketException.class)
                .extracting(e -> ((SocketException) e).errno()).isEqualTo(Errno.EACCES);

        s.so().set(SockOpt.SO_BROADCAST, true);
        s.pcb().send(payload(text("b")), addr(EM0_BCAST, 67), 0);
        s.pcb().send(payload(text("b")), addr(0xffffffff, 67), 0);
        assertThat(ctx.outputs).hasSize(2);
        assertThat(ctx.outputs).allSatisfy(o -> {
            assertThat(o.flags() & ProtoContext.IP_ALLOWBROADCAST).isNotZero();
            assertThat(o.src()).isEqualTo(EM0_ADDR);
            assertThat(Datagrams.rfc768Sum(o.src(), o.dst(), o.bytes())).isZero();
        });
    }

    @Test
    void limitedBroadcastWithoutAnyRouteUsesABroadcastInterface() throws Exception {
        ctx.routes.clear();
        Sock s = open();
        s.so().set(SockOpt.SO_BROADCAST, true);
        s.pcb().send(payload(text("dhcp")), addr(0xffffffff, 67), 0);
        assertThat(ctx.outputs.get(0).src()).isEqualTo(EM0_ADDR);
    }

    @Test
    void dontRouteFromOptionOrFlagSetsRouteToIf() throws Exception {
        Sock s = open();
        s.pcb().send(payload(text("1")), addr(PEER, 9), SocketConstants.MSG_DONTROUTE);
        s.so().set(SockOpt.SO_DONTROUTE, true);
        s.pcb().send(payload(text("2")), addr(PEER, 9), 0);
        assertThat(ctx.outputs).allSatisfy(o -> {
            assertThat(o.flags() & ProtoContext.IP_ROUTETOIF).isNotZero();
            assertThat(o.src()).isEqualTo(EM0_ADDR);
        });
        assertThatThrownBy(() -> s.pcb().send(payload(text("3")), addr(FAR, 9), 0))
                .extracting(e -> ((SocketException) e).errno()).isEqualTo(Errno.ENETUNREACH);
    }

    @Test
    void ipOptionsReachIpOutput() throws Exception {
        Sock s = open();
        s.pcb().setOption(SockOpt.IP_TTL, 3);
        s.pcb().setOption(SockOpt.IP_TOS, 0xb8);
        s.pcb().setOption(SockOpt.IP_DONTFRAG, true);
        s.pcb().send(payload(text("x")), addr(FAR, 33434), 0);
        FakeContext.Output out = ctx.outputs.get(0);
        assertThat(out.ttl()).isEqualTo(3);
        assertThat(out.tos()).isEqualTo(0xb8);
        assertThat(out.flags()).isEqualTo(ProtoContext.IP_DF);
    }

    @Test
    void sendErrnos() throws Exception {
        Sock unconnected = open();
        assertErrno(() -> unconnected.pcb().send(payload(text("x")), null, 0), Errno.EDESTADDRREQ);
        SockAddr foreign = () -> 44;
        assertErrno(() -> unconnected.pcb().send(payload(text("x")), foreign, 0), Errno.EAFNOSUPPORT);
        assertErrno(() -> unconnected.pcb().send(payload(text("x")), addr(PEER, 0), 0), Errno.EADDRNOTAVAIL);
        assertErrno(() -> unconnected.pcb().send(payload(text("x")), addr(0, 53), 0), Errno.EADDRNOTAVAIL);
        assertErrno(() -> unconnected.pcb().send(payload(new byte[UdpPcb.MAX_PAYLOAD + 1]), addr(PEER, 9), 0), Errno.EMSGSIZE);

        Sock connected = open();
        connected.pcb().connect(addr(PEER, 9));
        assertErrno(() -> connected.pcb().send(payload(text("x")), addr(PEER, 9), 0), Errno.EISCONN);

        ctx.routes.removeIf(r -> r.prefixLength() == 0);
        assertErrno(() -> unconnected.pcb().send(payload(text("x")), addr(FAR, 9), 0), Errno.ENETUNREACH);

        ctx.outputError = new SocketException(Errno.ENOBUFS, "queue full");
        assertErrno(() -> unconnected.pcb().send(payload(text("x")), addr(PEER, 9), 0), Errno.ENOBUFS);

        assertThat(ctx.outputs).isEmpty();
    }

    @Test
    void largestDatagramIsAccepted() throws Exception {
        Sock s = open();
        s.pcb().send(payload(new byte[UdpPcb.MAX_PAYLOAD]), addr(PEER, 9), 0);
        byte[] u = ctx.outputs.get(0).bytes();
        assertThat(get16(u, 4)).isEqualTo(65515);
        assertThat(Datagrams.rfc768Sum(EM0_ADDR, PEER, u)).isZero();
    }

    @Test
    void sendFromLoopbackBoundSocketKeepsItsAddress() throws Exception {
        Sock s = bound(InAddr.LOOPBACK.bits(), 7000);
        s.pcb().send(payload(text("lo")), addr(InAddr.LOOPBACK.bits(), 7001), 0);
        assertThat(ctx.outputs.get(0).src()).isEqualTo(InAddr.LOOPBACK.bits());
        assertThat(get16(ctx.outputs.get(0).bytes(), 0)).isEqualTo(7000);
    }

    interface Call {
        void run() throws Exception;
    }

    static void assertErrno(Call call, Errno errno) {
        assertThatThrownBy(call::run).isInstanceOf(SocketException.class)
                .extracting(e -> ((SocketException) e).errno()).isEqualTo(errno);
    }
}
