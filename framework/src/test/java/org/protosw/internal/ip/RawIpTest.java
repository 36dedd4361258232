package org.protosw.internal.ip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.protosw.internal.ip.TestStack.EM0;
import static org.protosw.internal.ip.TestStack.EM0_BCAST;
import static org.protosw.internal.ip.TestStack.EM1;
import static org.protosw.internal.ip.TestStack.PEER0;
import static org.protosw.internal.ip.TestStack.PEER1;
import static org.protosw.internal.ip.TestStack.bytes;
import static org.protosw.internal.ip.TestStack.hdr;
import static org.protosw.internal.ip.TestStack.packet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.spi.Callout;
import org.protosw.spi.IfNet;
import org.protosw.spi.InPcbTable;
import org.protosw.spi.IpInput;
import org.protosw.spi.Packet;
import org.protosw.spi.Pcb;
import org.protosw.spi.Pfil;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.ProtoSocket;
import org.protosw.spi.Registration;
import org.protosw.spi.Route;
import org.protosw.spi.SockBuf;
import org.protosw.spi.Sysctls;
import org.protosw.wire.IcmpHeader;
import org.protosw.wire.Ipv4Header;

class RawIpTest {
    private final TestStack s;
    private final Ctx ctx;
    private final RawIp raw;

    RawIpTest() throws Exception {
        s = new TestStack();
        ctx = new Ctx();
        raw = new RawIp(ctx, s.ip);
    }

    /** The context the core would give raw IP, reduced to what it uses. */
    private final class Ctx implements ProtoContext {
        @Override
        public String vnet() {
            return "test";
        }

        @Override
        public Packet allocate(int len) {
            return Packet.allocate(len);
        }

        @Override
        public void ipOutput(Packet p, int src, int dst, int proto, int ttl, int tos, int flags) throws SocketException {
            s.ip.output(p, src, dst, proto, ttl, tos, flags);
        }

        @Override
        public Registration ipprotoRegister(int proto, IpInput input) throws SocketException {
            return s.ip.register(proto, input, null);
        }

        @Override
        public <T> InPcbTable<T> newPcbTable(String protocolName) {
            return s.ip.newPcbTable(protocolName);
        }

        @Override
        public Route routeLookup(int dst) {
            return s.ip.routes().lookup(dst);
        }

        @Override
        public List<IfNet> interfaces() {
            return List.copyOf(s.ifs.list());
        }

        @Override
        public IfNet interfaceByName(String name) {
            return s.ifs.byName(name);
        }

        @Override
        public boolean isLocalAddress(int addr) {
            return s.ip.isLocalAddress(addr);
        }

        @Override
        public boolean isBroadcast(int addr) {
            return s.ip.isBroadcast(addr);
        }

        @Override
        public void icmpError(Packet offending, int type, int code, int nextMtu) {
            s.ip.icmpError(offending, type, code, nextMtu);
        }

        @Override
        public Callout newCallout(Runnable task) {
            throw new UnsupportedOperationException("raw IP uses no timers");
        }

        @Override
        public Sysctls sysctl() {
            return s.sysctl;
        }

        @Override
        public org.protosw.spi.KernSocket socreate(int domain, int type, int protocol, org.protosw.spi.SoUpcall upcall)
                throws SocketException {
            throw new SocketException(Errno.EPROTONOSUPPORT, "no in-stack sockets in this test");
        }

        @Override
        public <T> T domainState(Class<T> type) {
            return null;
        }

        @Override
        public Pfil pfil() {
            return s.ip.pfil();
        }
    }

    private record Dgram(Packet data, SockAddr from, String ifname) {
    }

    private static final class Buf implements SockBuf {
        final List<Dgram> queue = new ArrayList<>();
        int hiwat;
        int cc;

        @Override
        public int hiwat() {
            return hiwat;
        }

        @Override
        public int cc() {
            return cc;
        }

        @Override
        public int space() {
            return Math.max(0, hiwat - cc);
        }

        @Override
        public boolean appendAddr(Packet data, SockAddr from, String ifname) {
            if (data.length() > space()) {
                return false;
            }
            queue.add(new Dgram(data, from, ifname));
            cc += data.length();
            return true;
        }

        @Override
        public void appendStream(Packet data) {
            throw new UnsupportedOperationException("datagram buffer");
        }

        @Override
        public void copyOut(int offset, byte[] dst, int dstOff, int len) {
            throw new UnsupportedOperationException("datagram buffer");
        }

        @Override
        public void drop(int len) {
            throw new UnsupportedOperationException("datagram buffer");
        }

        @Override
        public void appendRecord(Packet data, SockAddr from, int flags) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Packet takeRecord() {
            return null;
        }

        @Override
        public int records() {
            return 0;
        }

        @Override
        public boolean cantMore() {
            return false;
        }
    }

    private final class Sock implements ProtoSocket {
        final int type;
        final int protocol;
        final Buf rcv = new Buf();
        final Buf snd = new Buf();
        final Map<SockOpt<Boolean>, Boolean> options = new HashMap<>();
        int wakeups;
        boolean connected;
        boolean cantSend;

        Sock(int type, int protocol) {
            this.type = type;
            this.protocol = protocol;
        }

        @Override
        public int domain() {
            return SocketConstants.AF_INET;
        }

        @Override
        public int type() {
            return type;
        }

        @Override
        public int protocol() {
            return protocol;
        }

        @Override
        public ProtoContext context() {
            return ctx;
        }

        @Override
        public SockBuf rcv() {
            return rcv;
        }

        @Override
        public SockBuf snd() {
            return snd;
        }

        @Override
        public void soreserve(int sndcc, int rcvcc) {
            snd.hiwat = sndcc;
            rcv.hiwat = rcvcc;
        }

        @Override
        public boolean option(SockOpt<Boolean> option) {
            return options.getOrDefault(option, false);
        }

        @Override
        public int linger() {
            return -1;
        }

        @Override
        public void soisconnecting() {
        }

        @Override
        public void soisconnected() {
            connected = true;
        }

        @Override
        public void soisdisconnecting() {
        }

        @Override
        public void soisdisconnected() {
            connected = false;
        }

        @Override
        public void socantrcvmore() {
        }

        @Override
        public void socantsendmore() {
            cantSend = true;
        }

        @Override
        public void setError(Errno error) {
        }

        @Override
        public void sorwakeup() {
            wakeups++;
        }

        @Override
        public void sowwakeup() {
        }

        @Override
        public ProtoSocket sonewconn(Function<ProtoSocket, Pcb> attach) {
            return null;
        }
    }

    private record Raw(Sock so, Pcb pcb) {
    }

    private Raw open(int proto) throws SocketException {
        Sock so = new Sock(SocketConstants.SOCK_RAW, proto);
        return new Raw(so, raw.attach(so));
    }

    private static void assertErrno(ThrowingCallable call, Errno e) {
        assertThatThrownBy(call).isInstanceOfSatisfying(SocketException.class, x -> assertThat(x.errno()).isEqualTo(e));
    }

    private static Packet echoReply(int src, int dst) {
        byte[] m = new byte[8 + 8];
        new IcmpHeader(m, 0, m.length).setType(IcmpHeader.ECHOREPLY).setId(7).setSeq(1).fillChecksum();
        return packet(src, dst, 1, m);
    }

    private static Packet payload(byte[] b) {
        Packet p = Packet.allocate(b.length);
        System.arraycopy(b, 0, p.array(), p.offset(), b.length);
        return p;
    }

    @Test
    void icmpSocketSeesRepliesWithTheIpHeader() throws Exception {
        Raw r = open(1);
        assertThat(r.so.rcv.hiwat).isEqualTo(9216);
        assertThat(r.so.snd.hiwat).isEqualTo(9216);
        Packet reply = echoReply(PEER0, EM0);
        byte[] wire = reply.toByteArray();
        s.em0.inject(reply);
        assertThat(r.so.rcv.queue).hasSize(1);
        Dgram d = r.so.rcv.queue.get(0);
        assertThat(d.data.toByteArray()).as("header included, as BSD does").isEqualTo(wire);
        assertThat(d.from).isEqualTo(new InetSockAddr(new InAddr(PEER0), 0));
        assertThat(d.ifname).isEqualTo("em0");
        assertThat(r.so.wakeups).isEqualTo(1);
        assertThat(raw.statistics()).containsEntry("datagrams delivered to sockets", 1L);
    }

    @Test
    void protocolZeroReceivesEverythingRawInputSees() throws Exception {
        Raw any = open(0);
        Raw p99 = open(99);
        s.em0.inject(echoReply(PEER0, EM0));
        s.em0.inject(packet(PEER0, EM0, 99, bytes(10, 1)));
        s.em0.inject(packet(PEER0, EM0, 98, bytes(10, 1)));
        assertThat(any.so.rcv.queue).hasSize(3);
        assertThat(p99.so.rcv.queue).hasSize(1);
        assertThat(hdr(p99.so.rcv.queue.get(0).data).protocol()).isEqualTo(99);
        assertThat(s.em0.sent).as("a raw socket took them: no protocol unreachable").isEmpty();
        any.pcb.detach();
        s.em0.inject(packet(PEER0, EM0, 98, bytes(10, 1)));
        assertThat(s.em0.sent).hasSize(1);
        assertThat(raw.socketCount()).isEqualTo(1);
    }

    @Test
    void bindAndConnectFilterInput() throws Exception {
        Raw r = open(99);
        assertErrno(() -> r.pcb.bind(InetSockAddr.of("10.9.9.9", 0)), Errno.EADDRNOTAVAIL);
        r.pcb.bind(new InetSockAddr(new InAddr(EM1), 0));
        assertThat(r.pcb.sockaddr()).isEqualTo(new InetSockAddr(new InAddr(EM1), 0));
        s.em0.inject(packet(PEER0, EM0, 99, bytes(4, 1)));
        s.em0.inject(packet(PEER0, EM1, 99, bytes(4, 1)));
        assertThat(r.so.rcv.queue).hasSize(1);
        assertErrno(() -> r.pcb.peeraddr(), Errno.ENOTCONN);
        r.pcb.connect(new InetSockAddr(new InAddr(PEER1), 0));
        assertThat(r.so.connected).isTrue();
        s.em0.inject(packet(PEER0, EM1, 99, bytes(4, 1)));
        s.em1.inject(packet(PEER1, EM1, 99, bytes(4, 1)));
        assertThat(r.so.rcv.queue).hasSize(2);
        assertThat(r.pcb.peeraddr()).isEqualTo(new InetSockAddr(new InAddr(PEER1), 0));
        r.pcb.disconnect();
        assertErrno(() -> r.pcb.disconnect(), Errno.ENOTCONN);
    }

    @Test
    void fullBufferDropsAreCounted() throws Exception {
        Raw r = open(99);
        r.so.rcv.hiwat = 100;
        for (int i = 0; i < 3; i++) {
            s.em0.inject(packet(PEER0, EM0, 99, bytes(40, i)));
        }
        assertThat(r.so.rcv.queue).hasSize(1);
        assertThat(raw.statistics()).containsEntry("datagrams dropped due to full socket buffers", 2L);
    }

    @Test
    void sendBuildsTheHeaderWithTheSocketsOptions() throws Exception {
        Raw r = open(99);
        r.pcb.setOption(SockOpt.IP_TTL, 5);
        r.pcb.setOption(SockOpt.IP_TOS, 0x20);
        r.pcb.send(payload(bytes(12, 3)), new InetSockAddr(new InAddr(PEER0), 0), 0);
        Ipv4Header h = hdr(s.em0.last());
        assertThat(h.protocol()).isEqualTo(99);
        assertThat(h.ttl()).isEqualTo(5);
        assertThat(h.tos()).isEqualTo(0x20);
        assertThat(h.src()).isEqualTo(EM0);
        assertThat(h.dst()).isEqualTo(PEER0);
        assertThat(Arrays.copyOfRange(s.em0.last().toByteArray(), 20, 32)).isEqualTo(bytes(12, 3));
        assertThat(r.pcb.getOption(SockOpt.IP_TTL)).isEqualTo(5);
        r.pcb.setOption(SockOpt.IP_TTL, -1);
        assertThat(r.pcb.getOption(SockOpt.IP_TTL)).isEqualTo(64);
        assertErrno(() -> r.pcb.setOption(SockOpt.IP_TTL, 256), Errno.EINVAL);
        assertErrno(() -> r.pcb.setOption(SockOpt.SO_KEEPALIVE, true), Errno.ENOPROTOOPT);
        assertErrno(() -> r.pcb.getOption(SockOpt.SO_KEEPALIVE), Errno.ENOPROTOOPT);
    }

    @Test
    void sendAddressingRules() throws Exception {
        Raw r = open(99);
        assertErrno(() -> r.pcb.send(payload(bytes(4, 1)), null, 0), Errno.EDESTADDRREQ);
        assertErrno(() -> r.pcb.send(payload(bytes(4, 1)), new InetSockAddr(new InAddr(EM0_BCAST), 0), 0), Errno.EACCES);
        r.so.options.put(SockOpt.SO_BROADCAST, true);
        r.pcb.send(payload(bytes(4, 1)), new InetSockAddr(new InAddr(EM0_BCAST), 0), 0);
        assertThat(hdr(s.em0.last()).dst()).isEqualTo(EM0_BCAST);
        r.pcb.connect(new InetSockAddr(new InAddr(PEER1), 0));
        assertErrno(() -> r.pcb.send(payload(bytes(4, 1)), new InetSockAddr(new InAddr(PEER0), 0), 0), Errno.EISCONN);
        r.pcb.send(payload(bytes(4, 1)), null, 0);
        assertThat(hdr(s.em1.last()).dst()).isEqualTo(PEER1);
        r.pcb.shutdown();
        assertThat(r.so.cantSend).isTrue();
    }

    @Test
    void headerIncludedSendKeepsTheUsersHeader() throws Exception {
        Raw r = open(99);
        r.pcb.setOption(SockOpt.IP_HDRINCL, true);
        assertThat(r.pcb.getOption(SockOpt.IP_HDRINCL)).isTrue();
        Packet p = Packet.allocate(30);
        hdr(p).setVersionAndHeaderLength(20).setTotalLength(30).setId(0).setTtl(2).setProtocol(42).setSrc(EM0).setDst(PEER0);
        r.pcb.send(p, new InetSockAddr(new InAddr(PEER0), 0), 0);
        Ipv4Header h = hdr(s.em0.last());
        assertThat(h.protocol()).as("the user's protocol, not the socket's").isEqualTo(42);
        assertThat(h.ttl()).isEqualTo(2);
        assertThat(h.checksumValid()).isTrue();
        assertThat(raw.statistics()).containsEntry("datagrams output with a header from the application", 1L);

        assertErrno(() -> r.pcb.send(payload(new byte[12]), new InetSockAddr(new InAddr(PEER0), 0), 0), Errno.EINVAL);
        Packet lying = Packet.allocate(30);
        hdr(lying).setVersionAndHeaderLength(20).setTotalLength(300).setDst(PEER0);
        assertErrno(() -> r.pcb.send(lying, new InetSockAddr(new InAddr(PEER0), 0), 0), Errno.EINVAL);

        Raw rawProto = open(SocketConstants.IPPROTO_RAW);
        assertThat(rawProto.pcb.getOption(SockOpt.IP_HDRINCL)).as("implied for IPPROTO_RAW").isTrue();
    }

    @Test
    void attachChecksAndDestroyLeavesIp() throws Exception {
        assertErrno(() -> raw.attach(new Sock(SocketConstants.SOCK_DGRAM, 0)), Errno.ESOCKTNOSUPPORT);
        assertErrno(() -> raw.attach(new Sock(SocketConstants.SOCK_RAW, 300)), Errno.EPROTONOSUPPORT);
        assertErrno(() -> open(1).pcb.bind(new SockAddr() {
            @Override
            public int family() {
                return SocketConstants.AF_DIVERT;
            }
        }), Errno.EAFNOSUPPORT);
        assertThat(s.ip.rawInput()).isNotNull();
        raw.destroy();
        assertThat(s.ip.rawInput()).isNull();
        assertThat(s.sysctl.find("net.inet.raw.recvspace")).isNull();
        new RawIp(ctx, s.ip).destroy();
    }
}
