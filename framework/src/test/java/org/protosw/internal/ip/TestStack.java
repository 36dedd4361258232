package org.protosw.internal.ip;

import java.util.concurrent.atomic.AtomicLong;

import org.protosw.internal.kern.SysctlTree;
import org.protosw.internal.net.IfTable;
import org.protosw.socket.InAddr;
import org.protosw.spi.IfAddr;
import org.protosw.spi.IfNet;
import org.protosw.spi.Packet;
import org.protosw.wire.Ipv4Header;

/**
 * A stack instance for tests: lo0 127.0.0.1/8, em0 10.0.0.1/24 and em1 192.168.1.1/24
 * with their connected routes, an IP layer on a clock the test moves.
 */
final class TestStack {
    static final int LO = addr("127.0.0.1");
    static final int EM0 = addr("10.0.0.1");
    static final int EM0_BCAST = addr("10.0.0.255");
    static final int PEER0 = addr("10.0.0.2");
    static final int EM1 = addr("192.168.1.1");
    static final int PEER1 = addr("192.168.1.2");

    final AtomicLong now = new AtomicLong(1_000_000_000_000L);
    final SysctlTree sysctl = new SysctlTree();
    final IfTable ifs = new IfTable("test");
    final TestIf lo0 = new TestIf("lo0", 16384, IfNet.IFF_LOOPBACK | IfNet.IFF_MULTICAST);
    final TestIf em0 = new TestIf("em0", 1500, IfNet.IFF_BROADCAST | IfNet.IFF_MULTICAST);
    final TestIf em1 = new TestIf("em1", 1500, IfNet.IFF_BROADCAST | IfNet.IFF_MULTICAST);
    final IpLayer ip;

    TestStack() throws Exception {
        ifs.attach(lo0);
        ifs.attach(em0);
        ifs.attach(em1);
        lo0.addAddress(new IfAddr(new InAddr(LO), 8, null));
        em0.addAddress(new IfAddr(new InAddr(EM0), 24, new InAddr(EM0_BCAST)));
        em1.addAddress(new IfAddr(new InAddr(EM1), 24, InAddr.parse("192.168.1.255")));
        ip = new IpLayer("test", ifs, sysctl, now::get);
        for (TestIf i : new TestIf[] {lo0, em0, em1}) {
            i.setInputHandler(ip::input);
            for (IfAddr a : i.addresses()) {
                ip.routes().addConnected(i, a);
            }
        }
    }

    static int addr(String s) {
        return InAddr.parse(s).bits();
    }

    void set(String tunable, long value) {
        sysctl.find(tunable).set(value);
    }

    long ipStat(String key) {
        Long v = ip.ipStatistics().get(key);
        if (v == null) {
            throw new IllegalArgumentException("no ip statistic '" + key + "'");
        }
        return v;
    }

    long icmpStat(String key) {
        return ip.icmpStatistics().getOrDefault(key, 0L);
    }

    /** An IPv4 packet (20-byte header, valid checksum) with {@code payload}. */
    static Packet packet(int src, int dst, int proto, int ttl, int fragWord, byte[] payload) {
        Packet p = Packet.allocate(Ipv4Header.MIN_LENGTH + payload.length);
        Ipv4Header.write(p.array(), p.offset(), 0, Ipv4Header.MIN_LENGTH + payload.length, 0x1234, fragWord, ttl, proto,
                src, dst);
        System.arraycopy(payload, 0, p.array(), p.offset() + Ipv4Header.MIN_LENGTH, payload.length);
        return p;
    }

    static Packet packet(int src, int dst, int proto, byte[] payload) {
        return packet(src, dst, proto, 64, 0, payload);
    }

    static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    static Ipv4Header hdr(Packet p) {
        return new Ipv4Header(p.array(), p.offset(), p.length());
    }
}
