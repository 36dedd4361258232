package org.protosw.internal.socket;

import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.MSG_EOR;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.protosw.internal.socket.TestDomain.TAddr;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.spi.KernSocket;
import org.protosw.spi.Packet;
import org.protosw.spi.Pcb;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.ProtoSocket;
import org.protosw.spi.ProtoSw;
import org.protosw.spi.ProtoSwEntry;
import org.protosw.spi.Protocol;
import org.protosw.spi.SoUpcall;

/**
 * A SOCK_SEQPACKET protocol of the test domain that runs on the datagram test protocol
 * ("tudp") through an in-stack socket, the way a third-party stack runs on UDP: one lower
 * socket per vnet, opened lazily and reopened after the lower protocol came back. Records
 * stay in the sender's send buffer until the receiver's buffer has room for them (so the
 * sender feels back-pressure), and travel in parts of at most {@link #PART} bytes; the
 * receiver joins them by MSG_EOR.
 */
public final class TestUpperProto implements ProtoSw {
    public static final int PROTO = 1;
    /** Largest part of a record in one lower datagram. */
    public static final int PART = 1024;
    private static final int HDR = 5;

    /** A clock shared with the test, to order aborts. */
    public final AtomicLong clock;
    public final ConcurrentLinkedQueue<Long> aborts = new ConcurrentLinkedQueue<>();
    public final List<Proto> instances = new CopyOnWriteArrayList<>();

    public TestUpperProto(AtomicLong clock) {
        this.clock = clock;
    }

    public static Map<String, Object> props(String name, int type) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(ProtoSwEntry.DOMAIN, TestDomain.AF_TDOM);
        m.put(ProtoSwEntry.TYPE, type);
        m.put(ProtoSwEntry.PROTOCOL, PROTO);
        m.put(ProtoSwEntry.NAME, name);
        m.put(ProtoSwEntry.FLAGS, new String[] {ProtoSwEntry.PR_ATOMIC, ProtoSwEntry.PR_CONNREQUIRED, ProtoSwEntry.PR_WANTRCVD});
        return m;
    }

    @Override
    public Protocol init(ProtoContext ctx) {
        Proto p = new Proto(ctx);
        instances.add(p);
        return p;
    }

    public Proto instance(String vnet) {
        return instances.stream().filter(p -> p.ctx.vnet().equals(vnet)).reduce((a, b) -> b).orElseThrow();
    }

    /** The protocol in one vnet. */
    public final class Proto implements Protocol, SoUpcall {
        final ProtoContext ctx;
        public final TestDomain.State state;
        private KernSocket lower;
        private int lowerPort;
        public final AtomicInteger opens = new AtomicInteger();
        public final AtomicInteger lowerAborted = new AtomicInteger();
        public final AtomicInteger readableUpcalls = new AtomicInteger();
        public final CopyOnWriteArrayList<String> upcallThreads = new CopyOnWriteArrayList<>();

        Proto(ProtoContext ctx) {
            this.ctx = ctx;
            this.state = ctx.domainState(TestDomain.State.class);
        }

        /** The lower socket, opened now if there is none (lazy reopen after the lower one left). */
        synchronized KernSocket lower() throws SocketException {
            if (lower == null || lower.isAborted()) {
                KernSocket k = ctx.socreate(AF_INET, SOCK_DGRAM, 0, this);
                k.bind(new InetSockAddr(InAddr.LOOPBACK, 0));
                lowerPort = ((InetSockAddr) k.localAddress()).port();
                lower = k;
                opens.incrementAndGet();
            }
            return lower;
        }

        public synchronized KernSocket currentLower() {
            return lower;
        }

        synchronized int lowerPort() {
            return lowerPort;
        }

        @Override
        public Pcb attach(ProtoSocket so) {
            return new UpperPcb(this, so);
        }

        /** Serialised, so the parts of a record reach the receiver in the order they were sent. */
        @Override
        public synchronized void readable(KernSocket so) {
            readableUpcalls.incrementAndGet();
            upcallThreads.addIfAbsent(Thread.currentThread().getName());
            ByteBuffer buf = ByteBuffer.allocate(PART + HDR);
            for (;;) {
                buf.clear();
                RecvInfo ri;
                try {
                    ri = so.recv(buf, 0);
                } catch (SocketException e) {
                    return;
                }
                if (ri.length() < HDR) {
                    continue;
                }
                buf.flip();
                int dst = buf.getShort() & 0xffff;
                int src = buf.getShort() & 0xffff;
                int flags = buf.get();
                Object o = state.ports.get(dst);
                if (o instanceof UpperPcb p) {
                    Packet part = ctx.allocate(buf.remaining());
                    buf.get(part.array(), part.offset(), part.length());
                    p.so.rcv().appendRecord(part, new TAddr(src), flags);
                    if ((flags & MSG_EOR) != 0) {
                        p.so.sorwakeup();
                    }
                }
            }
        }

        @Override
        public void aborted(KernSocket so) {
            lowerAborted.incrementAndGet();
        }
    }

    /** One SOCK_SEQPACKET socket. */
    public final class UpperPcb implements Pcb {
        final Proto proto;
        final ProtoSocket so;
        volatile int port;
        volatile int peer;
        private final ArrayDeque<Packet> unsent = new ArrayDeque<>();

        UpperPcb(Proto proto, ProtoSocket so) {
            this.proto = proto;
            this.so = so;
        }

        @Override
        public void bind(SockAddr addr) throws SocketException {
            if (!(addr instanceof TAddr t)) {
                throw new SocketException(Errno.EAFNOSUPPORT, "bind: not a tdom address");
            }
            if (proto.state.ports.putIfAbsent(t.port(), this) != null) {
                throw new SocketException(Errno.EADDRINUSE, "tdom port " + t.port());
            }
            port = t.port();
        }

        @Override
        public void connect(SockAddr addr) throws SocketException {
            if (!(addr instanceof TAddr t)) {
                throw new SocketException(Errno.EAFNOSUPPORT, "connect: not a tdom address");
            }
            proto.lower();
            if (port == 0) {
                int p;
                do {
                    p = proto.state.nextPort.getAndIncrement();
                } while (proto.state.ports.putIfAbsent(p, this) != null);
                port = p;
            }
            peer = t.port();
            so.soisconnected();
        }

        @Override
        public void send(Packet data, SockAddr to, int flags) throws SocketException {
            if ((flags & MSG_EOR) == 0) {
                throw new SocketException(Errno.EINVAL, "the socket layer sends whole records");
            }
            synchronized (this) {
                so.snd().appendRecord(data, null, flags);
                unsent.add(data);
            }
            pump();
        }

        /** Moves records to the peer while its receive buffer has room for them. */
        void pump() throws SocketException {
            boolean freed = false;
            synchronized (this) {
                Object o = proto.state.ports.get(peer);
                if (!(o instanceof UpperPcb dst)) {
                    return;
                }
                KernSocket k = proto.lower();
                while (!unsent.isEmpty() && dst.so.rcv().space() >= unsent.peek().length()) {
                    Packet rec = unsent.poll();
                    so.snd().takeRecord();
                    int len = rec.length();
                    for (int off = 0; off < len || len == 0; off += PART) {
                        int n = Math.min(PART, len - off);
                        Packet p = proto.ctx.allocate(HDR + n);
                        byte[] a = p.array();
                        int o2 = p.offset();
                        a[o2] = (byte) (peer >> 8);
                        a[o2 + 1] = (byte) peer;
                        a[o2 + 2] = (byte) (port >> 8);
                        a[o2 + 3] = (byte) port;
                        a[o2 + 4] = (byte) (off + n >= len ? MSG_EOR : 0);
                        System.arraycopy(rec.array(), rec.offset() + off, a, o2 + HDR, n);
                        k.send(p, new InetSockAddr(InAddr.LOOPBACK, proto.lowerPort()), 0);
                        if (len == 0) {
                            break;
                        }
                    }
                    freed = true;
                }
            }
            if (freed) {
                so.sowwakeup();
            }
        }

        @Override
        public void rcvd(int flags) {
            Object o = proto.state.ports.get(peer);
            if (o instanceof UpperPcb src) {
                try {
                    src.pump();
                } catch (SocketException e) {
                    src.so.setError(e.errno());
                }
            }
        }

        @Override
        public SockAddr sockaddr() {
            return new TAddr(port);
        }

        @Override
        public SockAddr peeraddr() throws SocketException {
            if (peer == 0) {
                throw new SocketException(Errno.ENOTCONN, "getpeername");
            }
            return new TAddr(peer);
        }

        @Override
        public void close() {
            proto.state.ports.remove(port, this);
        }

        @Override
        public void abort() {
            aborts.add(clock.incrementAndGet());
            proto.state.ports.remove(port, this);
        }

        @Override
        public void detach() {
        }

        @Override
        public String state() {
            return peer != 0 ? "CONNECTED" : "";
        }
    }

    /** The socket type this protocol serves. */
    public static int type() {
        return SocketConstants.SOCK_SEQPACKET;
    }
}
