package org.protosw.internal.socket;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import org.protosw.socket.Errno;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.SocketException;
import org.protosw.spi.Callout;
import org.protosw.spi.Packet;
import org.protosw.spi.Pcb;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.ProtoSocket;
import org.protosw.spi.ProtoSw;
import org.protosw.spi.Protocol;

/**
 * A protocol bundle that does what a protocol must not (issue 13): its pcbs throw from every
 * user request, its input throws on a packet whose first byte is {@link #BOOM}, its timers
 * throw when asked to, its {@code init} or {@code attach} fail when told, and with
 * {@link #block} set its pcbs block in {@code setsockopt} until the test lets them go. What
 * its input accepts is counted, so a test sees the input thread survive.
 */
public final class MisbehavingProto implements ProtoSw {
    /** First payload byte of a packet the input throws on. */
    public static final byte BOOM = 'X';

    /** Thrown by {@code init}: a RuntimeException or a SocketException. */
    public volatile Exception initThrows;
    /** Thrown by {@code attach}: a RuntimeException or a SocketException. */
    public volatile Exception attachThrows;
    /** When set, {@code setsockopt} blocks on it (ignoring interrupts: a protocol that never returns). */
    public volatile CountDownLatch block;
    /** With {@link #block}: {@code abort} blocks on it too (as on a lock the stuck request holds). */
    public volatile boolean abortBlocks;
    /** When set, {@code destroy} blocks on it (a destroy waiting for something that never comes). */
    public volatile CountDownLatch destroyBlocks;
    /** Threads that entered the blocking {@code setsockopt}. */
    public final AtomicInteger blocked = new AtomicInteger();

    public final AtomicInteger attaches = new AtomicInteger();
    public final AtomicInteger detaches = new AtomicInteger();
    public final AtomicInteger destroys = new AtomicInteger();
    public final List<Inst> instances = new CopyOnWriteArrayList<>();
    private final int proto;

    public MisbehavingProto(int proto) {
        this.proto = proto;
    }

    /** The properties of a datagram protocol, as TestDgramProto registers with. */
    public static Map<String, Object> props(String name, int protocol) {
        return TestDgramProto.props(name, protocol);
    }

    @Override
    public Protocol init(ProtoContext ctx) throws SocketException {
        Inst i = new Inst(ctx);
        // what init registered before it threw is undone by the core (the context's close)
        ctx.ipprotoRegister(proto, i::input);
        Exception e = initThrows;
        if (e != null) {
            throw rethrow(e);
        }
        instances.add(i);
        return i;
    }

    private static SocketException rethrow(Exception e) {
        if (e instanceof RuntimeException re) {
            throw re;
        }
        return (SocketException) e;
    }

    /** The protocol in one stack instance. */
    public final class Inst implements Protocol {
        public final ProtoContext ctx;
        /** Packets the input took (those it did not throw on). */
        public final AtomicInteger delivered = new AtomicInteger();

        Inst(ProtoContext ctx) {
            this.ctx = ctx;
        }

        void input(Packet p, int hlen) {
            if (p.get8(hlen) == BOOM) {
                throw new IllegalStateException("misbehaving input: a packet it cannot parse");
            }
            delivered.incrementAndGet();
        }

        /** Sends one datagram of this protocol to 127.0.0.1 (through lo0, ip_input, the input above). */
        public void sendToSelf(byte first) throws SocketException {
            Packet p = ctx.allocate(8);
            p.array()[p.offset()] = first;
            int lo = 0x7f000001;
            ctx.ipOutput(p, lo, lo, proto, 64, 0, 0);
        }

        /** A timer whose task throws each time it fires. */
        public Callout throwingTimer() {
            return ctx.newCallout(() -> {
                throw new IllegalStateException("misbehaving timer");
            });
        }

        @Override
        public Pcb attach(ProtoSocket so) throws SocketException {
            Exception e = attachThrows;
            if (e != null) {
                throw rethrow(e);
            }
            attaches.incrementAndGet();
            return new Bad();
        }

        @Override
        public void destroy() {
            destroys.incrementAndGet();
            CountDownLatch d = destroyBlocks;
            if (d != null) {
                try {
                    d.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** A pcb that throws from every request; its close and abort too, only its detach is sound. */
    final class Bad implements Pcb {
        private static RuntimeException boom(String request) {
            return new IllegalStateException("misbehaving " + request);
        }

        @Override
        public void bind(SockAddr addr) {
            throw boom("bind");
        }

        @Override
        public void connect(SockAddr addr) {
            throw boom("connect");
        }

        @Override
        public void disconnect() {
            throw boom("disconnect");
        }

        @Override
        public void shutdown() {
            throw boom("shutdown");
        }

        @Override
        public void send(Packet data, SockAddr to, int flags) {
            throw boom("send");
        }

        @Override
        public SockAddr sockaddr() {
            throw boom("sockaddr");
        }

        @Override
        public SockAddr peeraddr() {
            throw boom("peeraddr");
        }

        @Override
        public <T> void setOption(SockOpt<T> option, T value) throws SocketException {
            CountDownLatch b = block;
            if (b == null) {
                throw boom("setOption");
            }
            blocked.incrementAndGet();
            awaitUninterruptibly(b);
            throw new SocketException(Errno.ENOPROTOOPT, "released");
        }

        private static void awaitUninterruptibly(CountDownLatch b) {
            boolean interrupted = false;
            for (;;) {
                try {
                    b.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public <T> T getOption(SockOpt<T> option) {
            throw boom("getOption");
        }

        @Override
        public void close() {
            throw boom("close");
        }

        @Override
        public void abort() {
            CountDownLatch b = block;
            if (abortBlocks && b != null) {
                awaitUninterruptibly(b);
            }
            throw boom("abort");
        }

        @Override
        public void detach() {
            detaches.incrementAndGet();
        }
    }
}
