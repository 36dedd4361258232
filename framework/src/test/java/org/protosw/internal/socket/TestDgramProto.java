package org.protosw.internal.socket;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.spi.ConnectionInfo;
import org.protosw.spi.Packet;
import org.protosw.spi.Pcb;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.ProtoSocket;
import org.protosw.spi.ProtoSw;
import org.protosw.spi.ProtoSwEntry;
import org.protosw.spi.Protocol;

/**
 * A datagram protocol for tests: pcbs bind to 127.0.0.1 ports and a datagram is queued
 * straight into the receive buffer of the pcb bound to its destination port (itself when
 * it sends to its own address). Every pcb call goes through a {@link PcbLedger}.
 */
public final class TestDgramProto implements ProtoSw {
    /** A protocol-level option the pcb keeps. */
    public static final int LEVEL = 253;
    public static final SockOpt<Integer> TEST_OPT = SockOpt.of(LEVEL, 1, "TEST_OPT", Integer.class);

    public final PcbLedger ledger = new PcbLedger();
    public final List<Proto> instances = new CopyOnWriteArrayList<>();
    public final Set<String> failInitIn = ConcurrentHashMap.newKeySet();
    public volatile boolean attachReturnsNull;
    public volatile RuntimeException attachThrows;
    /** When set, a set of TEST_OPT waits for it: a call that does not leave in time. */
    public volatile java.util.concurrent.CountDownLatch stall;
    /** Socket-level options the core showed the pcb (SO_KEEPALIVE, SO_LINGER). */
    public final List<String> socketOptionsSeen = new CopyOnWriteArrayList<>();
    /** Told of every pcb abort (tests that check the order of aborts across protocols). */
    public volatile Runnable onAbort;

    public static Map<String, Object> props(String name, int protocol) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(ProtoSwEntry.DOMAIN, SocketConstants.AF_INET);
        m.put(ProtoSwEntry.TYPE, SocketConstants.SOCK_DGRAM);
        m.put(ProtoSwEntry.PROTOCOL, protocol);
        m.put(ProtoSwEntry.NAME, name);
        m.put(ProtoSwEntry.FLAGS, new String[] {ProtoSwEntry.PR_ATOMIC, ProtoSwEntry.PR_ADDR});
        return m;
    }

    @Override
    public Protocol init(ProtoContext ctx) throws SocketException {
        if (failInitIn.contains(ctx.vnet())) {
            throw new SocketException(Errno.ENOBUFS, "test protocol refuses vnet " + ctx.vnet());
        }
        Proto p = new Proto(ctx);
        instances.add(p);
        return p;
    }

    public Proto instance(String vnet) {
        return instances.stream().filter(p -> p.ctx.vnet().equals(vnet)).reduce((a, b) -> b).orElseThrow();
    }

    /** The protocol in one stack instance. */
    public final class Proto implements Protocol {
        final ProtoContext ctx;
        final Map<Integer, DgramPcb> ports = new ConcurrentHashMap<>();
        final AtomicInteger nextPort = new AtomicInteger(49152);
        final AtomicInteger live = new AtomicInteger();
        final AtomicBoolean destroyed = new AtomicBoolean();
        public final AtomicLong delivered = new AtomicLong();
        public final AtomicLong fullDrops = new AtomicLong();
        /** What {@link #orphans()} reports: connections a test pretends outlived their sockets. */
        public final List<ConnectionInfo> orphans = new CopyOnWriteArrayList<>();

        Proto(ProtoContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Pcb attach(ProtoSocket so) throws SocketException {
            if (destroyed.get()) {
                ledger.violation("attach after destroy");
            }
            RuntimeException boom = attachThrows;
            if (boom != null) {
                throw boom;
            }
            if (attachReturnsNull) {
                return null;
            }
            live.incrementAndGet();
            return new DgramPcb(this, so, ledger.track("dgram pcb", destroyed));
        }

        @Override
        public List<ConnectionInfo> orphans() {
            return List.copyOf(orphans);
        }

        @Override
        public Map<String, Long> statistics() {
            Map<String, Long> m = new LinkedHashMap<>();
            m.put("datagrams delivered", delivered.get());
            m.put("dropped for a full socket buffer", fullDrops.get());
            return m;
        }

        @Override
        public void destroy() {
            ledger.destroys.incrementAndGet();
            if (live.get() != 0) {
                ledger.violation("destroy with " + live.get() + " pcb(s) still attached");
            }
            destroyed.set(true);
        }

        public boolean destroyed() {
            return destroyed.get();
        }
    }

    /** A datagram pcb. */
    public final class DgramPcb implements Pcb {
        final Proto proto;
        final ProtoSocket so;
        final PcbLedger.Track t;
        volatile int port;
        volatile InetSockAddr peer;
        volatile int testOpt;

        DgramPcb(Proto proto, ProtoSocket so, PcbLedger.Track t) {
            this.proto = proto;
            this.so = so;
            this.t = t;
        }

        private InetSockAddr local() {
            return new InetSockAddr(InAddr.LOOPBACK, port);
        }

        private synchronized void bindPort(int want) throws SocketException {
            if (port != 0) {
                throw new SocketException(Errno.EINVAL, "already bound");
            }
            int p = want;
            if (p == 0) {
                do {
                    p = proto.nextPort.getAndIncrement();
                } while (proto.ports.putIfAbsent(p, this) != null);
            } else if (proto.ports.putIfAbsent(p, this) != null) {
                throw new SocketException(Errno.EADDRINUSE, "port " + p);
            }
            port = p;
        }

        @Override
        public void bind(SockAddr addr) throws SocketException {
            t.in("bind");
            try {
                if (!(addr instanceof InetSockAddr in)) {
                    throw new SocketException(Errno.EAFNOSUPPORT, "bind");
                }
                bindPort(in.port());
            } finally {
                t.out();
            }
        }

        @Override
        public void connect(SockAddr addr) throws SocketException {
            t.in("connect");
            try {
                if (!(addr instanceof InetSockAddr in)) {
                    throw new SocketException(Errno.EAFNOSUPPORT, "connect");
                }
                if (peer != null) {
                    throw new SocketException(Errno.EISCONN, "connect");
                }
                if (port == 0) {
                    bindPort(0);
                }
                peer = in;
                so.soisconnected();
            } finally {
                t.out();
            }
        }

        @Override
        public void disconnect() throws SocketException {
            t.in("disconnect");
            try {
                if (peer == null) {
                    throw new SocketException(Errno.ENOTCONN, "disconnect");
                }
                peer = null;
            } finally {
                t.out();
            }
        }

        @Override
        public void shutdown() {
            t.in("shutdown");
            t.out();
        }

        @Override
        public void send(Packet data, SockAddr to, int flags) throws SocketException {
            t.in("send");
            try {
                InetSockAddr p = peer;
                if (to != null && p != null) {
                    throw new SocketException(Errno.EISCONN, "sendto on a connected socket");
                }
                InetSockAddr dst = to != null ? (InetSockAddr) to : p;
                if (dst == null) {
                    throw new SocketException(Errno.EDESTADDRREQ, "send");
                }
                if (port == 0) {
                    bindPort(0);
                }
                DgramPcb target = proto.ports.get(dst.port());
                if (target == null) {
                    if (p != null) {
                        // what an ICMP port unreachable does to a connected socket
                        so.setError(Errno.ECONNREFUSED);
                    }
                    return;
                }
                if (target.so.rcv().appendAddr(data, local(), "lo0")) {
                    proto.delivered.incrementAndGet();
                    target.so.sorwakeup();
                } else {
                    proto.fullDrops.incrementAndGet();
                }
            } finally {
                t.out();
            }
        }

        @Override
        public SockAddr sockaddr() {
            t.in("sockaddr");
            try {
                return port == 0 ? InetSockAddr.ANY : local();
            } finally {
                t.out();
            }
        }

        @Override
        public SockAddr peeraddr() throws SocketException {
            t.in("peeraddr");
            try {
                InetSockAddr p = peer;
                if (p == null) {
                    throw new SocketException(Errno.ENOTCONN, "getpeername");
                }
                return p;
            } finally {
                t.out();
            }
        }

        @Override
        public <T> void setOption(SockOpt<T> option, T value) throws SocketException {
            t.in("setOption");
            try {
                if (option.equals(TEST_OPT)) {
                    java.util.concurrent.CountDownLatch l = stall;
                    while (l != null && l.getCount() > 0) {
                        try {
                            l.await();
                        } catch (InterruptedException e) {
                            // keep stalling: the test decides when the call leaves
                        }
                    }
                    testOpt = (Integer) value;
                    return;
                }
                if (option.level() == SocketConstants.SOL_SOCKET) {
                    socketOptionsSeen.add(option.label() + "=" + value);
                }
                throw new SocketException(Errno.ENOPROTOOPT, option.label());
            } finally {
                t.out();
            }
        }

        @Override
        public <T> T getOption(SockOpt<T> option) throws SocketException {
            t.in("getOption");
            try {
                if (option.equals(TEST_OPT)) {
                    return option.cast(testOpt);
                }
                throw new SocketException(Errno.ENOPROTOOPT, option.label());
            } finally {
                t.out();
            }
        }

        @Override
        public void close() {
            t.in("close");
            try {
                t.closeOrAbort("close");
            } finally {
                t.out();
            }
        }

        @Override
        public void abort() {
            t.in("abort");
            try {
                Runnable r = onAbort;
                if (r != null) {
                    r.run();
                }
                t.closeOrAbort("abort");
            } finally {
                t.out();
            }
        }

        @Override
        public void detach() {
            if (t.detach()) {
                if (port != 0) {
                    proto.ports.remove(port, this);
                }
                proto.live.decrementAndGet();
            }
        }

        @Override
        public String state() {
            t.in("state");
            try {
                return peer != null ? "CONNECTED" : "";
            } finally {
                t.out();
            }
        }
    }
}
