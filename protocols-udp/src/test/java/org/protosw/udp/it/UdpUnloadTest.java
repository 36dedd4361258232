package org.protosw.udp.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.IPPROTO_ICMP;
import static org.protosw.socket.SocketConstants.IPPROTO_UDP;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;
import static org.protosw.socket.SocketConstants.SOCK_RAW;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.net.PipeConfig;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;
import org.protosw.wire.IcmpHeader;

/** Unloading the real UDP while its sockets are in use, and loading a new one. */
class UdpUnloadTest {
    private static final String[] STACK_THREADS = Lab.STACK_THREADS;

    private static void assertErrno(Errno errno, ThrowingCall call) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    @FunctionalInterface
    private interface ThrowingCall {
        void run() throws Exception;
    }

    @Test
    void unloadAbortsBlockedAndBusyCallersAndLeavesNothingBehind() throws Exception {
        try (Lab lab = new Lab()) {
            Vnet a = lab.def();
            Vnet b = lab.vnet("b");
            lab.link(a, "192.0.2.1", b, "192.0.2.2", 24);

            Socket reader = Lab.udpSocket(a);
            reader.bind(InetSockAddr.of("127.0.0.1", 0));
            Lab.Task<Errno> blocked = lab.spawn("blocked reader", () -> {
                try {
                    reader.recv(ByteBuffer.allocate(100));
                    return null;
                } catch (SocketException e) {
                    return e.errno();
                }
            });
            Socket sink = Lab.udpSocket(b);
            sink.bind(InetSockAddr.of("192.0.2.2", 0));
            Socket writer = Lab.udpSocket(a);
            writer.connect(sink.localAddress());
            AtomicInteger sent = new AtomicInteger();
            Lab.Task<Errno> sender = lab.spawn("busy sender", () -> {
                ByteBuffer d = ByteBuffer.wrap(Payload.make(0, 64));
                for (;;) {
                    d.clear();
                    try {
                        writer.send(d);
                    } catch (SocketException e) {
                        return e.errno();
                    }
                    sent.incrementAndGet();
                }
            });
            Lab.await("the reader to block", 5000, () -> blocked.thread().getState() == Thread.State.WAITING);
            Lab.await("the sender to be busy", 5000, () -> sent.get() > 100);

            lab.unloadUdp();

            assertThat(blocked.join(5000)).isEqualTo(Errno.ECONNABORTED);
            assertThat(sender.join(5000)).isEqualTo(Errno.ECONNABORTED);
            for (Socket s : new Socket[] {reader, writer, sink}) {
                assertThat(s.isClosed()).isTrue();
                assertErrno(Errno.ECONNABORTED, () -> s.send(ByteBuffer.allocate(1)));
                assertErrno(Errno.ECONNABORTED, () -> s.getOption(SockOpt.SO_RCVBUF));
                s.close();
                assertErrno(Errno.EBADF, () -> s.recv(ByteBuffer.allocate(1)));
            }
            for (Vnet v : new Vnet[] {a, b}) {
                assertErrno(Errno.EPROTONOSUPPORT, () -> v.socket(AF_INET, SOCK_DGRAM, 0));
                assertErrno(Errno.EPROTONOSUPPORT, () -> v.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP));
                assertThat(v.sysctl().find("net.inet.udp.recvspace")).isNull();
                assertThat(v.sysctl().list()).noneMatch(t -> t.name().startsWith("net.inet.udp."));
                assertThat(v.sockets().socketCount()).isZero();
            }
            assertThat(lab.stack.core().registry().entry("udp")).isNull();

            // IP protocol 17 has no handler any more: a UDP datagram (sent through a raw
            // socket from b) is answered with ICMP protocol unreachable
            long noProto = Lab.ipStat(a, "packets for unknown/unsupported protocol");
            Socket icmp = b.socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
            icmp.setOption(SockOpt.SO_RCVTIMEO, 5000);
            Socket rawUdp = b.socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
            ByteBuffer udp = ByteBuffer.allocate(8 + 16);
            udp.putShort(0, (short) 4000).putShort(2, (short) 4001).putShort(4, (short) 24).putShort(6, (short) 0);
            rawUdp.sendto(udp, 0, InetSockAddr.of("192.0.2.1", 0));
            ByteBuffer in = ByteBuffer.allocate(200);
            RecvInfo ri = icmp.recvfrom(in, 0);
            int hlen = (in.get(0) & 0xf) << 2;
            assertThat(ri.from()).isEqualTo(InetSockAddr.of("192.0.2.1", 0));
            assertThat(in.get(hlen) & 0xff).isEqualTo(IcmpHeader.UNREACH);
            assertThat(in.get(hlen + 1) & 0xff).isEqualTo(IcmpHeader.UNREACH_PROTOCOL);
            assertThat(Lab.ipStat(a, "packets for unknown/unsupported protocol") - noProto).isEqualTo(1);
            icmp.close();
            rawUdp.close();

            // a new UdpProtoSw makes UDP work again, with its tunables back at their defaults
            lab.loadUdp();
            assertThat(a.sysctl().find("net.inet.udp.recvspace").get()).isEqualTo(42080);
            echoOnce(a, "127.0.0.1", a, "127.0.0.1", 1);
            echoOnce(a, "192.0.2.1", b, "192.0.2.2", 2);
            // the counters are the new instance's own (the datagram is counted just after the wakeup)
            Lab.await("b to count its one delivery", 5000, () -> lab.udpStat(b, "delivered") == 1);
        }
    }

    /** One datagram each way between fresh sockets. */
    private static void echoOnce(Vnet va, String addrA, Vnet vb, String addrB, int seq) throws SocketException {
        Socket x = Lab.udpSocket(va);
        x.bind(InetSockAddr.of(addrA, 0));
        Socket y = Lab.udpSocket(vb);
        y.bind(InetSockAddr.of(addrB, 0));
        x.connect(y.localAddress());
        y.connect(x.localAddress());
        x.setOption(SockOpt.SO_RCVTIMEO, 5000);
        y.setOption(SockOpt.SO_RCVTIMEO, 5000);
        x.send(ByteBuffer.wrap(Payload.make(seq, 64)));
        ByteBuffer in = ByteBuffer.allocate(100);
        assertThat(Payload.check(in.array(), y.recv(in))).isEqualTo(seq);
        y.send(ByteBuffer.wrap(Payload.make(seq + 1, 64)));
        in.clear();
        assertThat(Payload.check(in.array(), x.recv(in))).isEqualTo(seq + 1);
        x.close();
        y.close();
    }

    /** What the traffic threads of the stress test saw. */
    private static final class Outcomes {
        final Set<Errno> errnos = ConcurrentHashMap.newKeySet();
        final Map<String, Throwable> unexpected = new ConcurrentHashMap<>();
        final LongAdder exchanges = new LongAdder();
    }

    @Test
    void loadAndUnloadRepeatedlyWhileTrafficFlows() throws Exception {
        List<String> threadsBefore = Lab.threadsNamed(STACK_THREADS);
        try (Lab lab = new Lab()) {
            Vnet a = lab.def();
            Vnet b = lab.vnet("b");
            Lab.Link link = lab.link(a, "192.0.2.1", b, "192.0.2.2", 24);
            // datagrams wait in the pipe while protocols come and go
            a.pipes().config(1, PipeConfig.parse("delay 1ms"));
            a.pipes().attach(1, link.a(), false);
            echoOnce(a, "192.0.2.1", b, "192.0.2.2", 0);
            List<String> stackThreads = Lab.threadsNamed(STACK_THREADS);
            AtomicBoolean stop = new AtomicBoolean();
            Outcomes out = new Outcomes();
            List<Lab.Task<Void>> traffic = new ArrayList<>();
            traffic.add(lab.spawn("lo traffic a", () -> traffic(a, "127.0.0.1", a, "127.0.0.1", stop, out)));
            traffic.add(lab.spawn("lo traffic b", () -> traffic(b, "127.0.0.1", b, "127.0.0.1", stop, out)));
            traffic.add(lab.spawn("epair traffic", () -> traffic(a, "192.0.2.1", b, "192.0.2.2", stop, out)));

            long deadline = System.nanoTime() + 15_000_000_000L;
            int rounds = 0;
            while (rounds < 200 && System.nanoTime() - deadline < 0) {
                long seen = out.exchanges.sum();
                // let some traffic through this incarnation (bounded: a few ms at most)
                for (int i = 0; i < 20 && out.exchanges.sum() == seen; i++) {
                    Thread.sleep(1);
                }
                lab.unloadUdp();
                rounds++;
                if (rounds < 200) {
                    lab.loadUdp();
                }
            }
            stop.set(true);
            for (Lab.Task<Void> t : traffic) {
                t.join(10_000);
            }
            assertThat(out.unexpected).as("failures other than the documented errnos").isEmpty();
            assertThat(out.errnos).as("errnos seen").isSubsetOf(EnumSet.of(Errno.EPROTONOSUPPORT, Errno.ECONNABORTED));
            assertThat(out.exchanges.sum()).as("round trips that went through").isPositive();
            assertThat(rounds).isPositive();
            for (Vnet v : new Vnet[] {a, b}) {
                assertThat(v.sockets().socketCount()).as("sockets left in " + v.name()).isZero();
            }
            // nothing started a thread of the stack, nothing stopped one
            assertThat(Lab.threadsNamed(STACK_THREADS)).isEqualTo(stackThreads);
        }
        assertThat(Lab.threadsNamed(STACK_THREADS)).isEqualTo(threadsBefore);
    }

    /** Fresh connected sockets, a few round trips, close; over and over until told to stop. */
    private static Void traffic(Vnet va, String addrA, Vnet vb, String addrB, AtomicBoolean stop, Outcomes out) {
        ByteBuffer in = ByteBuffer.allocate(200);
        int seq = 0;
        while (!stop.get()) {
            Socket x = null;
            Socket y = null;
            try {
                x = Lab.udpSocket(va);
                y = Lab.udpSocket(vb);
                x.setOption(SockOpt.SO_RCVTIMEO, 5000);
                y.setOption(SockOpt.SO_RCVTIMEO, 5000);
                x.bind(InetSockAddr.of(addrA, 0));
                y.bind(InetSockAddr.of(addrB, 0));
                x.connect(y.localAddress());
                y.connect(x.localAddress());
                for (int i = 0; i < 10; i++) {
                    x.send(ByteBuffer.wrap(Payload.make(seq, 64)));
                    in.clear();
                    if (Payload.check(in.array(), y.recv(in)) != seq) {
                        throw new AssertionError("damaged or wrong datagram");
                    }
                    y.send(ByteBuffer.wrap(Payload.make(seq + 1, 64)));
                    in.clear();
                    if (Payload.check(in.array(), x.recv(in)) != seq + 1) {
                        throw new AssertionError("damaged or wrong datagram");
                    }
                    seq += 2;
                    out.exchanges.increment();
                }
            } catch (SocketException e) {
                out.errnos.add(e.errno());
                if (e.errno() != Errno.EPROTONOSUPPORT && e.errno() != Errno.ECONNABORTED) {
                    out.unexpected.putIfAbsent(e.errno().name(), e);
                }
                if (e.errno() == Errno.EPROTONOSUPPORT) {
                    Thread.onSpinWait();
                }
            } catch (RuntimeException | AssertionError e) {
                out.unexpected.putIfAbsent(e.toString(), e);
            } finally {
                if (x != null) {
                    x.close();
                }
                if (y != null) {
                    y.close();
                }
            }
        }
        return null;
    }

    @Test
    void unloadsAndVnetChurnTogetherLeaveNothingBehind() throws Exception {
        List<String> threadsBefore = Lab.threadsNamed(STACK_THREADS);
        try (Lab lab = new Lab()) {
            Vnet a = lab.def();
            AtomicBoolean stop = new AtomicBoolean();
            Outcomes out = new Outcomes();
            // ENETDOWN: a send that finds the route to the churn vnet while its destruction
            // has taken the epair down but not yet the route (ip_output's IFF_UP check)
            Set<Errno> allowed = EnumSet.of(Errno.EPROTONOSUPPORT, Errno.ECONNABORTED, Errno.ECONNREFUSED,
                    Errno.ENETUNREACH, Errno.ENETDOWN, Errno.EAGAIN);
            Lab.Task<Integer> churn = lab.spawn("vnet churn", () -> {
                int made = 0;
                while (!stop.get()) {
                    Vnet c;
                    try {
                        c = lab.vnet("churn");
                    } catch (SocketException e) {
                        out.errnos.add(e.errno());
                        continue;
                    }
                    made++;
                    lab.link(a, "198.51.100.1", c, "198.51.100.2", 24);
                    Lab.Task<Void> far = lab.spawn("churn traffic " + made, () -> churnTraffic(a, c, out, allowed));
                    Thread.sleep(5);
                    lab.stack.core().destroyVnet("churn");
                    far.join(10_000);
                }
                return made;
            });
            long deadline = System.nanoTime() + 3_000_000_000L;
            int rounds = 0;
            while (System.nanoTime() - deadline < 0) {
                Thread.sleep(2);
                lab.unloadUdp();
                Thread.sleep(1);
                lab.loadUdp();
                rounds++;
            }
            stop.set(true);
            assertThat(churn.join(10_000)).isPositive();
            assertThat(rounds).isPositive();
            assertThat(out.unexpected).as("failures other than the documented errnos").isEmpty();
            assertThat(out.errnos).isSubsetOf(EnumSet.of(Errno.EEXIST, Errno.EPROTONOSUPPORT, Errno.ECONNABORTED,
                    Errno.ECONNREFUSED, Errno.ENETUNREACH, Errno.ENETDOWN, Errno.EAGAIN));
            assertThat(a.sockets().socketCount()).isZero();
            assertThat(lab.stack.core().vnetNames()).containsExactly("default");
            assertThat(Lab.threadsNamed("netisr-churn-", "callout-churn", "dummynet-churn")).isEmpty();
            // the default vnet still works
            echoOnce(a, "127.0.0.1", a, "127.0.0.1", 5);
        }
        assertThat(Lab.threadsNamed(STACK_THREADS)).isEqualTo(threadsBefore);
    }

    /** A reader blocked in the churned vnet and a talker in the default one, until the vnet goes. */
    private static Void churnTraffic(Vnet a, Vnet c, Outcomes out, Set<Errno> allowed) {
        Socket far = null;
        Socket near = null;
        try {
            far = Lab.udpSocket(c);
            far.bind(InetSockAddr.of("198.51.100.2", 7));
            near = Lab.udpSocket(a);
            near.setOption(SockOpt.SO_RCVTIMEO, 200);
            near.connect(far.localAddress());
            ByteBuffer in = ByteBuffer.allocate(200);
            for (int i = 0; ; i++) {
                near.send(ByteBuffer.wrap(Payload.make(i, 64)));
                in.clear();
                RecvInfo ri = far.recvfrom(in, 0);
                if (Payload.check(in.array(), ri.length()) != i) {
                    throw new AssertionError("damaged or wrong datagram");
                }
                out.exchanges.increment();
            }
        } catch (SocketException e) {
            out.errnos.add(e.errno());
            if (!allowed.contains(e.errno())) {
                out.unexpected.putIfAbsent(e.errno().name(), e);
            }
        } catch (RuntimeException | AssertionError e) {
            out.unexpected.putIfAbsent(e.toString(), e);
        } finally {
            if (far != null) {
                far.close();
            }
            if (near != null) {
                near.close();
            }
        }
        return null;
    }
}
