package org.protosw.internal.ip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.protosw.internal.ip.TestStack.EM0;
import static org.protosw.internal.ip.TestStack.EM0_BCAST;
import static org.protosw.internal.ip.TestStack.EM1;
import static org.protosw.internal.ip.TestStack.LO;
import static org.protosw.internal.ip.TestStack.PEER0;
import static org.protosw.internal.ip.TestStack.PEER1;
import static org.protosw.internal.ip.TestStack.addr;
import static org.protosw.internal.ip.TestStack.bytes;
import static org.protosw.internal.ip.TestStack.hdr;
import static org.protosw.internal.ip.TestStack.packet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.SocketException;
import org.protosw.spi.IcmpError;
import org.protosw.spi.Packet;
import org.protosw.spi.Pfil;
import org.protosw.spi.PfilHook;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.Registration;
import org.protosw.spi.Route;
import org.protosw.wire.IcmpHeader;
import org.protosw.wire.Ipv4Header;
import org.protosw.wire.WireStatus;

class IpLayerTest {
    private static final int PROTO = 253; // RFC 3692 experimentation

    private final TestStack s;
    private final List<Packet> delivered = new ArrayList<>();

    IpLayerTest() throws Exception {
        s = new TestStack();
        s.ip.register(PROTO, (p, hlen) -> delivered.add(p), null);
    }

    private static void assertErrno(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, Errno e) {
        assertThatThrownBy(call).isInstanceOfSatisfying(SocketException.class, x -> assertThat(x.errno()).isEqualTo(e));
    }

    /** The ICMP message of a packet sent by the stack. */
    private static IcmpHeader icmp(Packet p) {
        Ipv4Header h = hdr(p);
        assertThat(h.check()).isEqualTo(WireStatus.OK);
        assertThat(h.checksumValid()).isTrue();
        assertThat(h.protocol()).isEqualTo(1);
        IcmpHeader i = new IcmpHeader(p.array(), h.payloadOffset(), h.payloadLength());
        assertThat(i.check()).isEqualTo(WireStatus.OK);
        assertThat(i.checksumValid()).isTrue();
        return i;
    }

    private static Packet echo(int src, int dst, int id, int seq, byte[] data) {
        byte[] m = new byte[8 + data.length];
        System.arraycopy(data, 0, m, 8, data.length);
        new IcmpHeader(m, 0, m.length).setType(IcmpHeader.ECHO).setId(id).setSeq(seq).fillChecksum();
        return packet(src, dst, 1, m);
    }

    // ------------------------------------------------------------------ header validation

    @Test
    void malformedHeadersAreCountedAndDropped() {
        Packet good = packet(PEER0, EM0, PROTO, bytes(10, 1));
        s.em0.inject(Packet.wrap(new byte[19], 0, 19));
        Packet v6 = good.copy();
        v6.set8(0, 0x65);
        s.em0.inject(v6);
        Packet hl = good.copy();
        hl.set8(0, 0x44);
        s.em0.inject(hl);
        Packet sum = good.copy();
        sum.set8(Ipv4Header.OFF_TTL, 3);
        s.em0.inject(sum);
        Packet small = good.copy();
        small.set16(2, 19);
        hdr(small).fillChecksum();
        s.em0.inject(small);
        Packet big = good.copy();
        big.set16(2, 31);
        hdr(big).fillChecksum();
        s.em0.inject(big);
        s.em0.inject(packet(addr("127.0.0.1"), EM0, PROTO, bytes(4, 1)));
        s.em0.inject(packet(addr("224.0.0.1"), EM0, PROTO, bytes(4, 1)));
        Packet badOpt = Packet.allocate(32);
        Ipv4Header bo = hdr(badOpt).setVersionAndHeaderLength(24).setTotalLength(32).setTtl(9).setProtocol(PROTO).setSrc(PEER0).setDst(EM0);
        badOpt.set8(20, 0x44);
        badOpt.set8(21, 9);
        bo.fillChecksum();
        s.em0.inject(badOpt);

        assertThat(delivered).isEmpty();
        assertThat(s.ipStat("total packets received")).isEqualTo(9);
        assertThat(s.ipStat("with size smaller than minimum")).isEqualTo(1);
        assertThat(s.ipStat("with incorrect version number")).isEqualTo(1);
        assertThat(s.ipStat("with header length < data size")).isEqualTo(1);
        assertThat(s.ipStat("bad header checksums")).isEqualTo(1);
        assertThat(s.ipStat("with data length < header length")).isEqualTo(1);
        assertThat(s.ipStat("with data size < data length")).isEqualTo(1);
        assertThat(s.ipStat("datagrams with bad address in header")).isEqualTo(2);
        assertThat(s.ipStat("with bad options")).isEqualTo(1);
        IcmpHeader pp = icmp(s.em0.last());
        assertThat(pp.type()).isEqualTo(IcmpHeader.PARAMPROB);
        assertThat(pp.pointer()).isEqualTo(21);
    }

    @Test
    void trailingBytesAreTrimmedAndVouchedChecksumsSkipped() {
        Packet p = packet(PEER0, EM0, PROTO, bytes(10, 2));
        byte[] padded = Arrays.copyOf(p.toByteArray(), 60);
        s.em0.inject(Packet.wrap(padded, 0, padded.length));
        Packet vouched = packet(PEER0, EM0, PROTO, bytes(10, 3));
        vouched.set16(Ipv4Header.OFF_CHECKSUM, 0);
        vouched.addFlags(Packet.M_CSUM_OK);
        s.em0.inject(vouched);
        assertThat(delivered).hasSize(2);
        assertThat(delivered.get(0).length()).isEqualTo(30);
        assertThat(Arrays.copyOfRange(delivered.get(0).toByteArray(), 20, 30)).isEqualTo(bytes(10, 2));
        assertThat(s.ipStat("packets for this host")).isEqualTo(2);
    }

    // ------------------------------------------------------------------ demux and local delivery

    @Test
    void deliversToTheRegisteredHandlerWithTheHeaderLength() throws Exception {
        List<Integer> hlens = new ArrayList<>();
        s.ip.register(254, (p, hlen) -> hlens.add(hlen), null);
        Packet p = Packet.allocate(28 + 5);
        hdr(p).setVersionAndHeaderLength(28).setTotalLength(33).setTtl(5).setProtocol(254).setSrc(PEER0).setDst(EM1);
        Arrays.fill(p.array(), p.offset() + 20, p.offset() + 28, (byte) 1); // NOP options
        hdr(p).fillChecksum();
        s.em0.inject(p);
        assertThat(hlens).as("weak host: em1's address reached through em0").containsExactly(28);
    }

    @Test
    void registrationRules() throws Exception {
        assertErrno(() -> s.ip.register(PROTO, (p, h) -> { }, null), Errno.EEXIST);
        assertErrno(() -> s.ip.register(1, (p, h) -> { }, null), Errno.EEXIST);
        assertErrno(() -> s.ip.register(256, (p, h) -> { }, null), Errno.EINVAL);
        Registration r = s.ip.register(99, (p, h) -> { }, null);
        r.close();
        r.close();
        s.ip.register(99, (p, h) -> delivered.add(p), null);
        s.em0.inject(packet(PEER0, EM0, 99, bytes(3, 3)));
        assertThat(delivered).hasSize(1);
    }

    @Test
    void unknownProtocolAnswersProtocolUnreachable() {
        Packet p = packet(PEER0, EM0, 99, bytes(40, 4));
        byte[] sent = p.toByteArray();
        s.em0.inject(p);
        assertThat(s.ipStat("packets for unknown/unsupported protocol")).isEqualTo(1);
        assertThat(s.ipStat("packets for this host")).isZero();
        assertThat(s.em0.sent).hasSize(1);
        Packet reply = s.em0.last();
        assertThat(s.em0.sent.get(0).nextHop()).isEqualTo(PEER0);
        Ipv4Header h = hdr(reply);
        assertThat(h.src()).isEqualTo(EM0);
        assertThat(h.dst()).isEqualTo(PEER0);
        IcmpHeader i = icmp(reply);
        assertThat(i.type()).isEqualTo(IcmpHeader.UNREACH);
        assertThat(i.code()).isEqualTo(IcmpHeader.UNREACH_PROTOCOL);
        assertThat(i.dataLength()).as("header and 8 bytes quoted").isEqualTo(28);
        assertThat(Arrays.copyOfRange(reply.array(), i.dataOffset(), i.dataOffset() + 28)).isEqualTo(Arrays.copyOf(sent, 28));
        assertThat(s.icmpStat("Output histogram: destination unreachable")).isEqualTo(1);
        assertThat(s.icmpStat("calls to icmp_error")).isEqualTo(1);

        s.em0.inject(packet(PEER0, EM0_BCAST, 99, bytes(4, 4)));
        assertThat(s.em0.sent).as("never for a broadcast").hasSize(1);
    }

    @Test
    void rawInputTakesWhatNoHandlerTakes() {
        List<Packet> raw = new ArrayList<>();
        s.ip.setRawInput((p, hlen) -> raw.add(p.copy()));
        s.em0.inject(packet(PEER0, EM0, 99, bytes(4, 5)));
        assertThat(raw).hasSize(1);
        assertThat(s.em0.sent).as("a raw socket took it: no ICMP").isEmpty();
        assertThat(s.ipStat("packets for this host")).isEqualTo(1);
    }

    // ------------------------------------------------------------------ ICMP

    @Test
    void echoRequestIsAnsweredFromTheAddressItWasSentTo() {
        byte[] data = bytes(56, 6);
        s.em0.inject(echo(PEER0, EM1, 0x4242, 9, data));
        assertThat(s.em0.sent).hasSize(1);
        Packet reply = s.em0.last();
        Ipv4Header h = hdr(reply);
        assertThat(h.src()).isEqualTo(EM1);
        assertThat(h.dst()).isEqualTo(PEER0);
        assertThat(h.ttl()).isEqualTo(64);
        IcmpHeader i = icmp(reply);
        assertThat(i.type()).isEqualTo(IcmpHeader.ECHOREPLY);
        assertThat(i.id()).isEqualTo(0x4242);
        assertThat(i.seq()).isEqualTo(9);
        assertThat(Arrays.copyOfRange(reply.array(), i.dataOffset(), i.dataOffset() + 56)).isEqualTo(data);
        assertThat(s.icmpStat("Input histogram: echo")).isEqualTo(1);
        assertThat(s.icmpStat("Output histogram: echo reply")).isEqualTo(1);
        assertThat(s.icmpStat("message responses generated")).isEqualTo(1);
    }

    @Test
    void pingingOurselvesGoesThroughLoopback() throws Exception {
        List<Packet> raw = new ArrayList<>();
        s.ip.setRawInput((p, hlen) -> raw.add(p.copy()));
        byte[] m = new byte[16];
        new IcmpHeader(m, 0, 16).setType(IcmpHeader.ECHO).setId(1).setSeq(1).fillChecksum();
        Packet p = Packet.allocate(16);
        System.arraycopy(m, 0, p.array(), p.offset(), 16);
        s.ip.output(p, 0, LO, 1, -1, 0, 0);
        assertThat(raw).as("the echo reply reaches raw sockets").hasSize(1);
        assertThat(icmp(raw.get(0)).type()).isEqualTo(IcmpHeader.ECHOREPLY);
        assertThat(hdr(raw.get(0)).src()).isEqualTo(LO);
        assertThat(s.lo0.counters().opackets.sum()).isEqualTo(2);
    }

    @Test
    void broadcastEchoIsIgnoredUnlessEnabled() {
        s.em0.inject(echo(PEER0, EM0_BCAST, 1, 1, bytes(8, 1)));
        assertThat(s.em0.sent).isEmpty();
        assertThat(s.icmpStat("multicast echo requests ignored")).isEqualTo(1);
        s.set("net.inet.icmp.bmcastecho", 1);
        s.em0.inject(echo(PEER0, EM0_BCAST, 1, 2, bytes(8, 1)));
        assertThat(s.em0.sent).hasSize(1);
        assertThat(hdr(s.em0.last()).src()).as("a unicast source, not the broadcast address").isEqualTo(EM0);
    }

    @Test
    void badIcmpIsCounted() {
        s.em0.inject(packet(PEER0, EM0, 1, new byte[4]));
        Packet bad = echo(PEER0, EM0, 1, 1, bytes(8, 1));
        bad.set8(30, bad.get8(30) ^ 0xff);
        s.em0.inject(bad);
        assertThat(s.icmpStat("messages less than the minimum length")).isEqualTo(1);
        assertThat(s.icmpStat("messages with bad checksum")).isEqualTo(1);
        assertThat(s.em0.sent).isEmpty();
    }

    @Test
    void icmpErrorsReachTheProtocolOfTheQuotedPacket() throws Exception {
        List<IcmpError> errors = new ArrayList<>();
        s.ip.register(17, (p, h) -> { }, errors::add);
        // we sent 10.0.0.1:5000 > 192.168.1.2:53; a router says "fragmentation needed, MTU 1400"
        Packet quoted = packet(EM0, PEER1, 17, 64, Ipv4Header.FLAG_DF, bytes(8, 7));
        byte[] q = quoted.toByteArray();
        byte[] m = new byte[8 + q.length];
        System.arraycopy(q, 0, m, 8, q.length);
        new IcmpHeader(m, 0, m.length).setType(IcmpHeader.UNREACH).setCode(IcmpHeader.UNREACH_NEEDFRAG).setNextHopMtu(1400).fillChecksum();
        s.em0.inject(packet(PEER0, EM0, 1, m));
        assertThat(errors).hasSize(1);
        IcmpError e = errors.get(0);
        assertThat(e.type()).isEqualTo(IcmpError.UNREACH);
        assertThat(e.code()).isEqualTo(IcmpError.UNREACH_NEEDFRAG);
        assertThat(e.nextMtu()).isEqualTo(1400);
        assertThat(e.inner().toByteArray()).isEqualTo(q);

        // too short to quote a header: counted, not passed on
        byte[] shortMsg = new byte[8 + 20];
        System.arraycopy(q, 0, shortMsg, 8, 20);
        new IcmpHeader(shortMsg, 0, shortMsg.length).setType(IcmpHeader.UNREACH).setCode(3).fillChecksum();
        s.em0.inject(packet(PEER0, EM0, 1, shortMsg));
        assertThat(errors).hasSize(1);
        assertThat(s.icmpStat("messages with bad length")).isEqualTo(1);
        assertThat(s.icmpStat("Input histogram: destination unreachable")).isEqualTo(2);
    }

    @Test
    void icmpErrorRules() {
        // an ICMP error is never answered with one
        byte[] m = new byte[8 + 28];
        System.arraycopy(packet(EM0, PEER0, 17, bytes(8, 1)).toByteArray(), 0, m, 8, 28);
        new IcmpHeader(m, 0, m.length).setType(IcmpHeader.UNREACH).setCode(3).fillChecksum();
        s.ip.icmpError(packet(PEER0, EM0, 1, m), IcmpHeader.UNREACH, IcmpHeader.UNREACH_PORT, 0);
        assertThat(s.icmpStat("errors not generated in response to an icmp message")).isEqualTo(1);
        // a non-first fragment
        s.ip.icmpError(packet(PEER0, EM0, 17, 64, 100, bytes(16, 1)), IcmpHeader.UNREACH, IcmpHeader.UNREACH_PORT, 0);
        // source 0.0.0.0
        s.ip.icmpError(packet(0, EM0, 17, bytes(16, 1)), IcmpHeader.UNREACH, IcmpHeader.UNREACH_PORT, 0);
        // arrived as a link broadcast
        Packet lb = packet(PEER0, EM0, 17, bytes(16, 1));
        lb.addFlags(Packet.M_BCAST);
        s.ip.icmpError(lb, IcmpHeader.UNREACH, IcmpHeader.UNREACH_PORT, 0);
        s.ip.icmpError(packet(PEER0, addr("224.0.0.5"), 17, bytes(16, 1)), IcmpHeader.UNREACH, IcmpHeader.UNREACH_PORT, 0);
        assertThat(s.em0.sent).isEmpty();
        assertThat(s.icmpStat("calls to icmp_error")).isEqualTo(5);
        assertThat(s.icmpStat("invalid return addresses")).isEqualTo(1);
        // but an echo request may be answered with an error
        s.ip.icmpError(echo(PEER0, EM0, 1, 1, bytes(4, 1)), IcmpHeader.UNREACH, IcmpHeader.UNREACH_HOST, 0);
        assertThat(s.em0.sent).hasSize(1);
    }

    @Test
    void icmpErrorsAreRateLimited() {
        s.set("net.inet.icmp.icmplim", 2);
        for (int i = 0; i < 5; i++) {
            s.em0.inject(packet(PEER0, EM0, 99, bytes(8, i)));
        }
        assertThat(s.em0.sent).hasSize(2);
        assertThat(s.icmpStat("responses suppressed by rate limit")).isEqualTo(3);
        s.now.addAndGet(TimeUnit.SECONDS.toNanos(1));
        s.em0.inject(packet(PEER0, EM0, 99, bytes(8, 9)));
        assertThat(s.em0.sent).as("a new second").hasSize(3);
    }

    @Test
    void reassemblyTimeoutAnswersTimeExceeded() {
        Packet whole = packet(PEER0, EM0, PROTO, bytes(3000, 8));
        List<Packet> frags = IpFragment.fragment(whole, 20, 1500);
        s.em0.inject(frags.get(0));
        s.em0.inject(frags.get(1));
        assertThat(delivered).isEmpty();
        assertThat(s.ip.reassemblyQueues()).isEqualTo(1);
        s.ip.slowtimo(s.now.get() + TimeUnit.SECONDS.toNanos(31));
        assertThat(s.ip.reassemblyQueues()).isZero();
        assertThat(s.ipStat("fragments dropped after timeout")).isEqualTo(2);
        IcmpHeader i = icmp(s.em0.last());
        assertThat(i.type()).isEqualTo(IcmpHeader.TIMXCEED);
        assertThat(i.code()).isEqualTo(IcmpHeader.TIMXCEED_REASS);
    }

    @Test
    void fragmentsAreReassembledBeforeDelivery() {
        byte[] payload = bytes(5000, 9);
        Packet whole = packet(PEER0, EM0, PROTO, payload);
        List<Packet> frags = IpFragment.fragment(whole, 20, 1500);
        for (int i = frags.size() - 1; i >= 0; i--) {
            s.em0.inject(frags.get(i));
        }
        assertThat(delivered).hasSize(1);
        assertThat(Arrays.copyOfRange(delivered.get(0).toByteArray(), 20, 5020)).isEqualTo(payload);
        assertThat(s.ipStat("fragments received")).isEqualTo(4);
        assertThat(s.ipStat("packets reassembled ok")).isEqualTo(1);
        assertThat(s.ipStat("packets for this host")).isEqualTo(1);
    }

    // ------------------------------------------------------------------ forwarding

    @Test
    void notForwardingByDefault() {
        s.em0.inject(packet(PEER0, PEER1, PROTO, bytes(8, 1)));
        assertThat(s.ipStat("packets not forwardable")).isEqualTo(1);
        assertThat(s.em1.sent).isEmpty();
        assertThat(s.em0.sent).isEmpty();
    }

    @Test
    void forwardingDecrementsTtl() {
        s.set("net.inet.ip.forwarding", 1);
        s.em0.inject(packet(PEER0, PEER1, PROTO, 9, 0, bytes(8, 1)));
        assertThat(s.em1.sent).hasSize(1);
        assertThat(s.em1.sent.get(0).nextHop()).isEqualTo(PEER1);
        Ipv4Header h = hdr(s.em1.last());
        assertThat(h.ttl()).isEqualTo(8);
        assertThat(h.checksumValid()).isTrue();
        assertThat(s.ipStat("packets forwarded")).isEqualTo(1);
    }

    @Test
    void forwardingErrors() throws Exception {
        s.set("net.inet.ip.forwarding", 1);
        s.em0.inject(packet(PEER0, PEER1, PROTO, 1, 0, bytes(8, 1)));
        IcmpHeader tx = icmp(s.em0.last());
        assertThat(tx.type()).isEqualTo(IcmpHeader.TIMXCEED);
        assertThat(tx.code()).isEqualTo(IcmpHeader.TIMXCEED_INTRANS);
        assertThat(hdr(s.em0.last()).src()).as("from the receiving interface").isEqualTo(EM0);

        s.em0.inject(packet(PEER0, addr("172.16.0.1"), PROTO, bytes(8, 1)));
        IcmpHeader unreach = icmp(s.em0.last());
        assertThat(unreach.type()).isEqualTo(IcmpHeader.UNREACH);
        assertThat(unreach.code()).isEqualTo(IcmpHeader.UNREACH_NET);

        s.em1.setMtu(576);
        s.em0.inject(packet(PEER0, PEER1, PROTO, 64, Ipv4Header.FLAG_DF, bytes(1000, 1)));
        IcmpHeader needfrag = icmp(s.em0.last());
        assertThat(needfrag.code()).isEqualTo(IcmpHeader.UNREACH_NEEDFRAG);
        assertThat(needfrag.nextHopMtu()).isEqualTo(576);
        assertThat(s.ipStat("datagrams that can't be fragmented")).isEqualTo(1);

        s.em0.inject(packet(PEER0, PEER1, PROTO, 64, 0, bytes(1000, 1)));
        assertThat(s.em1.sent).as("fragmented on the way out").hasSize(2);
        assertThat(s.ipStat("fragments created")).isEqualTo(2);
        assertThat(hdr(s.em1.last()).ttl()).isEqualTo(63);
        assertThat(s.em0.sent).hasSize(3);
    }

    @Test
    void forwardingViaAGateway() throws Exception {
        s.set("net.inet.ip.forwarding", 1);
        s.ip.routes().add(new Route(InAddr.ANY, 0, new InAddr(PEER1), s.em1, new InAddr(EM1), 0, Route.RTF_UP | Route.RTF_STATIC));
        s.em0.inject(packet(PEER0, addr("8.8.8.8"), PROTO, bytes(8, 1)));
        assertThat(s.em1.sent).hasSize(1);
        assertThat(s.em1.sent.get(0).nextHop()).isEqualTo(PEER1);
    }

    // ------------------------------------------------------------------ output

    @Test
    void outputPicksRouteAndSource() throws Exception {
        Packet p = Packet.allocate(10);
        s.ip.output(p, 0, PEER1, PROTO, -1, 0x10, ProtoContext.IP_DF);
        assertThat(s.em1.sent).hasSize(1);
        Ipv4Header h = hdr(s.em1.last());
        assertThat(h.check()).isEqualTo(WireStatus.OK);
        assertThat(h.checksumValid()).isTrue();
        assertThat(h.src()).isEqualTo(EM1);
        assertThat(h.dst()).isEqualTo(PEER1);
        assertThat(h.protocol()).isEqualTo(PROTO);
        assertThat(h.ttl()).isEqualTo(64);
        assertThat(h.tos()).isEqualTo(0x10);
        assertThat(h.dontFragment()).isTrue();
        assertThat(h.totalLength()).isEqualTo(30);
        Packet q = Packet.allocate(10);
        s.ip.output(q, 0, PEER1, PROTO, 3, 0, 0);
        assertThat(hdr(s.em1.last()).id()).as("ids advance").isNotEqualTo(h.id());
        assertThat(hdr(s.em1.last()).ttl()).isEqualTo(3);
        assertThat(s.ipStat("packets sent from this host")).isEqualTo(2);
    }

    @Test
    void outputErrors() throws Exception {
        assertErrno(() -> s.ip.output(Packet.allocate(1), 0, addr("172.16.0.1"), PROTO, -1, 0, 0), Errno.ENETUNREACH);
        assertThat(s.ipStat("output packets discarded due to no route")).isEqualTo(1);
        s.ip.routes().add(new Route(InAddr.parse("172.16.0.0"), 12, null, s.em0, null, 0, Route.RTF_UP | Route.RTF_REJECT));
        assertErrno(() -> s.ip.output(Packet.allocate(1), 0, addr("172.16.0.1"), PROTO, -1, 0, 0), Errno.EHOSTUNREACH);
        assertErrno(() -> s.ip.output(Packet.allocate(2000), 0, PEER0, PROTO, -1, 0, ProtoContext.IP_DF), Errno.EMSGSIZE);
        assertErrno(() -> s.ip.output(Packet.allocate(65516), 0, PEER0, PROTO, -1, 0, 0), Errno.EMSGSIZE);
        assertErrno(() -> s.ip.output(Packet.allocate(1), 0, EM0_BCAST, PROTO, -1, 0, 0), Errno.EACCES);
        assertErrno(() -> s.ip.output(Packet.allocate(1), 0, -1, PROTO, -1, 0, 0), Errno.EACCES);
        s.em0.setUp(false);
        assertErrno(() -> s.ip.output(Packet.allocate(1), 0, PEER0, PROTO, -1, 0, 0), Errno.ENETDOWN);
        assertThat(s.em0.sent).isEmpty();
    }

    @Test
    void blackholeRoutesDropSilently() throws Exception {
        s.ip.routes().add(new Route(InAddr.parse("172.16.0.0"), 12, null, s.em0, new InAddr(EM0), 0, Route.RTF_UP | Route.RTF_BLACKHOLE));
        s.ip.output(Packet.allocate(1), 0, addr("172.16.0.1"), PROTO, -1, 0, 0);
        assertThat(s.em0.sent).isEmpty();
    }

    @Test
    void outputFragmentsAndTheOtherSideReassembles() throws Exception {
        TestStack other = new TestStack();
        List<Packet> got = new ArrayList<>();
        other.ip.register(PROTO, (p, h) -> got.add(p), null);
        byte[] payload = bytes(4000, 10);
        Packet p = Packet.allocate(payload.length);
        System.arraycopy(payload, 0, p.array(), p.offset(), payload.length);
        s.ip.output(p, 0, PEER0, PROTO, -1, 0, 0);
        assertThat(s.em0.sent).hasSize(3);
        assertThat(s.ipStat("output datagrams fragmented")).isEqualTo(1);
        assertThat(s.ipStat("fragments created")).isEqualTo(3);
        // the other stack plays 10.0.0.2
        other.em0.setAddresses(List.of(new org.protosw.spi.IfAddr(new InAddr(PEER0), 24, new InAddr(EM0_BCAST))));
        for (TestIf.Sent f : s.em0.sent) {
            assertThat(hdr(f.packet()).totalLength()).isLessThanOrEqualTo(1500);
            other.em0.inject(f.packet());
        }
        assertThat(got).hasSize(1);
        assertThat(Arrays.copyOfRange(got.get(0).toByteArray(), 20, 4020)).isEqualTo(payload);
    }

    @Test
    void localDestinationsGoThroughLoopback() throws Exception {
        s.ip.output(Packet.allocate(4), 0, EM1, PROTO, -1, 0, 0);
        assertThat(delivered).hasSize(1);
        assertThat(hdr(delivered.get(0)).src()).isEqualTo(EM1);
        assertThat(delivered.get(0).rcvif()).isSameAs(s.lo0);
        s.ip.output(Packet.allocate(4), 0, addr("127.0.0.9"), PROTO, -1, 0, 0);
        assertThat(delivered).as("all of 127/8 is us on loopback").hasSize(2);
        assertThat(hdr(delivered.get(1)).src()).isEqualTo(LO);
        assertThat(s.em0.sent).isEmpty();
        assertThat(s.em1.sent).isEmpty();
    }

    @Test
    void broadcastsNeedPermissionAndLoopACopyBack() throws Exception {
        s.ip.output(Packet.allocate(4), 0, EM0_BCAST, PROTO, -1, 0, ProtoContext.IP_ALLOWBROADCAST);
        assertThat(s.em0.sent).hasSize(1);
        assertThat(s.em0.sent.get(0).nextHop()).isEqualTo(EM0_BCAST);
        assertThat(hdr(s.em0.last()).src()).isEqualTo(EM0);
        assertThat(delivered).as("a copy for this host").hasSize(1);
        assertThat(delivered.get(0).flags() & Packet.M_LOOP).isNotZero();

        s.ip.routes().add(new Route(InAddr.ANY, 0, new InAddr(PEER1), s.em1, new InAddr(EM1), 0, Route.RTF_UP));
        s.ip.output(Packet.allocate(4), 0, -1, PROTO, -1, 0, ProtoContext.IP_ALLOWBROADCAST);
        assertThat(s.em1.sent).hasSize(1);
        assertThat(s.em1.sent.get(0).nextHop()).as("not to the gateway").isEqualTo(-1);
        assertThat(delivered).hasSize(2);
        s.ip.output(Packet.allocate(4), EM0, -1, PROTO, -1, 0, ProtoContext.IP_ALLOWBROADCAST);
        assertThat(s.em0.sent).as("the source address picks the interface").hasSize(2);
    }

    @Test
    void routeToInterfaceIgnoresTheTable() throws Exception {
        s.ip.routes().delete(InAddr.parse("10.0.0.0"), 24);
        assertErrno(() -> s.ip.output(Packet.allocate(1), 0, PEER0, PROTO, -1, 0, 0), Errno.ENETUNREACH);
        s.ip.output(Packet.allocate(1), 0, PEER0, PROTO, -1, 0, ProtoContext.IP_ROUTETOIF);
        assertThat(s.em0.sent).hasSize(1);
        assertErrno(() -> s.ip.output(Packet.allocate(1), 0, addr("172.16.0.1"), PROTO, -1, 0, ProtoContext.IP_ROUTETOIF),
                Errno.ENETUNREACH);
    }

    @Test
    void rawOutputKeepsTheHeaderAndFillsIdAndChecksum() throws Exception {
        Packet p = Packet.allocate(28);
        hdr(p).setVersionAndHeaderLength(20).setTos(4).setTotalLength(28).setId(0).setFragment(true, false, 0).setTtl(7)
                .setProtocol(PROTO).setSrc(0).setDst(PEER0).setChecksum(0x1111);
        s.ip.output(p, 0, 0, 0, 0, 0, ProtoContext.IP_RAWOUTPUT);
        Ipv4Header h = hdr(s.em0.last());
        assertThat(h.checksumValid()).isTrue();
        assertThat(h.src()).as("source filled from the route").isEqualTo(EM0);
        assertThat(h.ttl()).isEqualTo(7);
        assertThat(h.tos()).isEqualTo(4);
        assertThat(h.dontFragment()).isTrue();
        assertThat(s.ipStat("packets sent with fabricated ip header")).isEqualTo(1);

        Packet bad = Packet.allocate(28);
        hdr(bad).setVersionAndHeaderLength(20).setTotalLength(40).setDst(PEER0);
        assertErrno(() -> s.ip.output(bad, 0, 0, 0, 0, 0, ProtoContext.IP_RAWOUTPUT), Errno.EINVAL);
        assertErrno(() -> s.ip.output(Packet.allocate(12), 0, 0, 0, 0, 0, ProtoContext.IP_RAWOUTPUT), Errno.EINVAL);
    }

    // ------------------------------------------------------------------ pfil

    @Test
    void inputHooksDropConsumeAndReinject() {
        List<Packet> held = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        Pfil pfil = s.ip.pfil();
        Registration divert = pfil.addHook("divert", Pfil.IN, 10, (p, dir, ifp) -> {
            seen.add("divert");
            held.add(p);
            return PfilHook.CONSUMED;
        });
        pfil.addHook("count", Pfil.IN | Pfil.OUT, 20, (p, dir, ifp) -> {
            seen.add("count");
            return PfilHook.PASS;
        });
        s.em0.inject(packet(PEER0, EM0, PROTO, bytes(4, 1)));
        assertThat(delivered).isEmpty();
        assertThat(held).hasSize(1);
        assertThat(seen).containsExactly("divert");

        pfil.reinject(held.get(0), Pfil.IN, s.em0, 10);
        assertThat(seen).as("only the hooks after the one that diverted").containsExactly("divert", "count");
        assertThat(delivered).hasSize(1);

        divert.close();
        Registration drop = pfil.addHook("deny", Pfil.IN, 5, (p, dir, ifp) -> PfilHook.DROP);
        s.em0.inject(packet(PEER0, EM0, PROTO, bytes(4, 1)));
        assertThat(delivered).hasSize(1);
        drop.close();
        pfil.addHook("broken", Pfil.IN, 1, (p, dir, ifp) -> {
            throw new IllegalStateException("filter bug");
        });
        s.em0.inject(packet(PEER0, EM0, PROTO, bytes(4, 1)));
        assertThat(delivered).as("a failing hook drops").hasSize(1);
    }

    @Test
    void aHookThatNeedsWholeDatagramsReassemblesInboundFragments() {
        List<Packet> whole = new ArrayList<>();
        Pfil pfil = s.ip.pfil();
        pfil.addHook("divert", Pfil.IN, 10, (p, dir, ifp) -> {
            Packet w = pfil.reassemble(p);
            if (w == p) {
                return PfilHook.PASS;
            }
            if (w != null) {
                whole.add(w);
            }
            return PfilHook.CONSUMED;
        });
        byte[] data = bytes(16, 7);
        s.em0.inject(packet(PEER0, EM0, PROTO, 64, Ipv4Header.FLAG_MF, Arrays.copyOfRange(data, 0, 8)));
        assertThat(whole).as("queued until complete").isEmpty();
        s.em0.inject(packet(PEER0, EM0, PROTO, 64, 1, Arrays.copyOfRange(data, 8, 16)));
        assertThat(whole).hasSize(1);
        Packet w = whole.get(0);
        assertThat(w.length()).isEqualTo(36);
        assertThat(hdr(w).isFragment()).isFalse();
        assertThat(Arrays.copyOfRange(w.toByteArray(), 20, 36)).isEqualTo(data);
        assertThat(w.rcvif()).isSameAs(s.em0);
        assertThat(delivered).isEmpty();

        pfil.reinject(w, Pfil.IN, s.em0, 10);
        assertThat(delivered).as("the whole datagram goes on after the hook").hasSize(1);
        Packet plain = packet(PEER0, EM0, PROTO, bytes(4, 1));
        assertThat(pfil.reassemble(plain)).as("no fragment: the packet itself").isSameAs(plain);
    }

    @Test
    void outputHooksSeeTheWholeDatagramBeforeFragmentation() throws Exception {
        List<Packet> held = new ArrayList<>();
        List<Integer> lengths = new ArrayList<>();
        Registration r = s.ip.pfil().addHook("divert", Pfil.OUT, 10, (p, dir, ifp) -> {
            lengths.add(p.length());
            held.add(p);
            return PfilHook.CONSUMED;
        });
        s.ip.output(Packet.allocate(3000), 0, PEER0, PROTO, -1, 0, 0);
        assertThat(lengths).containsExactly(3020);
        assertThat(s.em0.sent).isEmpty();
        s.ip.pfil().reinject(held.get(0), Pfil.OUT, null, 10);
        assertThat(s.em0.sent).as("reinjected, then fragmented").hasSize(3);
        r.close();
        s.ip.pfil().addHook("deny", Pfil.OUT, 10, (p, dir, ifp) -> PfilHook.DROP);
        assertErrno(() -> s.ip.output(Packet.allocate(10), 0, PEER0, PROTO, -1, 0, 0), Errno.EACCES);
    }

    @Test
    void hooksMayRewriteTheDestination() throws Exception {
        s.ip.pfil().addHook("nat", Pfil.OUT, 10, (p, dir, ifp) -> {
            hdr(p).setDst(PEER1).fillChecksum();
            return PfilHook.PASS;
        });
        s.ip.output(Packet.allocate(10), 0, PEER0, PROTO, -1, 0, 0);
        assertThat(s.em0.sent).isEmpty();
        assertThat(s.em1.sent).as("routed again after the rewrite").hasSize(1);
    }

    @Test
    void theDataPathTakesNoGlobalLock() throws Exception {
        s.ip.output(Packet.allocate(100), 0, PEER0, PROTO, -1, 0, 0);
        s.em0.inject(packet(PEER0, EM0, PROTO, bytes(100, 1)));
        long before = org.protosw.internal.kern.GlobalLock.acquisitions();
        for (int i = 0; i < 100; i++) {
            s.ip.output(Packet.allocate(100), 0, PEER0, PROTO, -1, 0, 0);
            s.ip.output(Packet.allocate(3000), 0, PEER1, PROTO, -1, 0, 0);
            s.em0.inject(packet(PEER0, EM0, PROTO, bytes(100, i)));
            s.ip.output(Packet.allocate(10), 0, EM1, PROTO, -1, 0, 0);
        }
        assertThat(org.protosw.internal.kern.GlobalLock.acquisitions()).isEqualTo(before);
        assertThat(delivered).hasSize(201);
        // the counter counts: changing the routing table takes its lock
        s.ip.routes().add(new Route(InAddr.parse("172.16.0.0"), 12, null, s.em0, new InAddr(EM0), 0, Route.RTF_UP | Route.RTF_BLACKHOLE));
        s.ip.routes().delete(InAddr.parse("172.16.0.0"), 12);
        assertThat(org.protosw.internal.kern.GlobalLock.acquisitions() - before).as("global lock acquisitions of a route add and delete")
                .isGreaterThanOrEqualTo(2);
    }

    @Test
    void inputNeverThrows() throws Exception {
        s.ip.register(250, (p, h) -> {
            throw new IllegalStateException("handler bug");
        }, null);
        s.em0.inject(packet(PEER0, EM0, 250, bytes(4, 1)));
        assertThat(s.ipStat("packets dropped by internal errors")).isEqualTo(1);
        java.util.Random rnd = new java.util.Random(13);
        s.set("net.inet.ip.forwarding", 1);
        for (int i = 0; i < 3000; i++) {
            byte[] b = new byte[rnd.nextInt(120)];
            rnd.nextBytes(b);
            if (b.length >= 20 && rnd.nextBoolean()) {
                Ipv4Header.write(b, 0, 0, b.length, i, rnd.nextInt(0x10000), rnd.nextInt(256), rnd.nextInt(256),
                        rnd.nextBoolean() ? PEER0 : rnd.nextInt(), rnd.nextBoolean() ? EM0 : rnd.nextInt());
            }
            s.em0.inject(Packet.wrap(b, 0, b.length));
        }
        assertThat(s.ipStat("total packets received")).isEqualTo(3001);
        assertThat(s.ipStat("packets dropped by internal errors")).as("only the faulty handler").isEqualTo(1);
    }
}
