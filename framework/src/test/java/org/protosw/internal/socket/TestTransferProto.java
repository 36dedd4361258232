package org.protosw.internal.socket;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.spi.Packet;
import org.protosw.spi.Pcb;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.ProtoSocket;
import org.protosw.spi.ProtoSw;
import org.protosw.spi.ProtoSwEntry;
import org.protosw.spi.Protocol;
import org.protosw.spi.Snapshot;
import org.protosw.spi.StateTransfer;

/**
 * A datagram protocol with state transfer, one object per "revision": pcbs bind to ports
 * and deliver straight into the destination's receive buffer (as {@link TestDgramProto}).
 * It counts attaches, detaches (exported or not) and every call that reaches a pcb after its
 * detach (a violation: what the gate prevents).
 */
public final class TestTransferProto implements ProtoSw, StateTransfer {
    public static final SockOpt<Integer> TEST_OPT = TestDgramProto.TEST_OPT;
    public static final String FORMAT = "test.transfer.pcb";

    public final String revision;
    public volatile int writesVersion = 1;
    /** Versions its import reads. */
    public volatile int readsUpTo = 1;
    public volatile RuntimeException importThrows;
    /** Put into every pcb snapshot when set: something that is not a JDK value. */
    public volatile Object leak;
    /** While set, every setOption(TEST_OPT) waits for it (a caller inside the protocol). */
    public volatile java.util.concurrent.CountDownLatch stall;

    public final AtomicInteger attached = new AtomicInteger();
    public final AtomicInteger imported = new AtomicInteger();
    public final AtomicInteger detached = new AtomicInteger();
    public final AtomicInteger exported = new AtomicInteger();
    public final AtomicInteger aborted = new AtomicInteger();
    public final AtomicInteger destroyed = new AtomicInteger();
    public final AtomicLong violations = new AtomicLong();
    public final java.util.List<String> violationLog = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** The snapshots the core handed to importPcb, held weakly: what may stay reachable after an upgrade. */
    public final java.util.List<java.lang.ref.WeakReference<Snapshot>> importedStates = new java.util.concurrent.CopyOnWriteArrayList<>();

    public TestTransferProto(String revision) {
        this.revision = revision;
    }

    public static Map<String, Object> props(String name, int protocol) {
        return TestDgramProto.props(name, protocol);
    }

    /** Pcbs attached or imported and not yet detached. */
    public int live() {
        return attached.get() + imported.get() - detached.get();
    }

    void violation(String what) {
        violations.incrementAndGet();
        if (violationLog.size() < 20) {
            violationLog.add(what);
        }
    }

    @Override
    public Protocol init(ProtoContext ctx) {
        return new Proto(ctx);
    }

    /** Ports are shared by every instance of every revision in a test, as a pcb table the core would keep. */
    static final Map<Integer, Dgram> PORTS = new ConcurrentHashMap<>();
    static final AtomicInteger NEXT = new AtomicInteger(40000);

    final class Proto implements Protocol {
        final ProtoContext ctx;
        volatile boolean gone;

        Proto(ProtoContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Pcb attach(ProtoSocket so) {
            attached.incrementAndGet();
            return new Dgram(this, so);
        }

        @Override
        public void destroy() {
            gone = true;
            destroyed.incrementAndGet();
        }
    }

    final class Dgram implements Pcb {
        final Proto proto;
        final ProtoSocket so;
        volatile int port;
        volatile int opt;
        volatile boolean dead;
        volatile boolean wasExported;

        Dgram(Proto proto, ProtoSocket so) {
            this.proto = proto;
            this.so = so;
        }

        private void alive(String call) {
            if (dead) {
                violation(revision + ": " + call + " after detach");
            }
        }

        @Override
        public void bind(SockAddr addr) throws SocketException {
            alive("bind");
            int want = ((InetSockAddr) addr).port();
            int p = want == 0 ? NEXT.incrementAndGet() : want;
            if (PORTS.putIfAbsent(p, this) != null) {
                throw new SocketException(Errno.EADDRINUSE, "port " + p);
            }
            port = p;
        }

        @Override
        public void send(Packet data, SockAddr to, int flags) throws SocketException {
            alive("send");
            Dgram target = PORTS.get(((InetSockAddr) to).port());
            if (target != null && target.so.rcv().appendAddr(data, new InetSockAddr(InAddr.LOOPBACK, port), "lo0")) {
                target.so.sorwakeup();
            }
        }

        @Override
        public SockAddr sockaddr() {
            alive("sockaddr");
            return new InetSockAddr(InAddr.LOOPBACK, port);
        }

        @Override
        public <T> void setOption(SockOpt<T> option, T value) throws SocketException {
            alive("setOption");
            if (!option.equals(TEST_OPT)) {
                throw new SocketException(Errno.ENOPROTOOPT, option.label());
            }
            java.util.concurrent.CountDownLatch l = stall;
            while (l != null && l.getCount() > 0) {
                try {
                    l.await();
                } catch (InterruptedException e) {
                    // the test decides when the call leaves
                }
            }
            opt = (Integer) value;
            alive("setOption (on the way out)");
        }

        @Override
        public <T> T getOption(SockOpt<T> option) throws SocketException {
            alive("getOption");
            if (!option.equals(TEST_OPT)) {
                throw new SocketException(Errno.ENOPROTOOPT, option.label());
            }
            return option.cast(opt);
        }

        @Override
        public void close() {
            alive("close");
            PORTS.remove(port, this);
        }

        @Override
        public void abort() {
            alive("abort");
            // an export the core abandoned (the upgrade fell back to an unload) ends in abort
            wasExported = false;
            aborted.incrementAndGet();
            PORTS.remove(port, this);
        }

        @Override
        public void detach() {
            if (dead) {
                violation(revision + ": second detach");
            }
            dead = true;
            if (wasExported) {
                exported.incrementAndGet();
            }
            PORTS.remove(port, this);
            detached.incrementAndGet();
        }

        @Override
        public String state() {
            return revision;
        }
    }

    // ---- StateTransfer -------------------------------------------------------------------

    @Override
    public String snapshotFormat() {
        return FORMAT;
    }

    @Override
    public int snapshotVersion() {
        return writesVersion;
    }

    @Override
    public Snapshot exportPcb(Protocol protocol, Pcb pcb) {
        Dgram d = (Dgram) pcb;
        d.alive("exportPcb");
        d.wasExported = true;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("port", d.port);
        m.put("opt", d.opt);
        m.put("revision", revision);
        if (leak != null) {
            m.put("leak", java.util.List.of(Map.of("inner", leak)));
        }
        return new Snapshot(FORMAT, writesVersion, m);
    }

    @Override
    public Snapshot exportProtocol(Protocol protocol) {
        return new Snapshot(FORMAT, writesVersion, Map.of("next", NEXT.get()));
    }

    @Override
    public void importProtocol(Protocol protocol, Snapshot state) throws SocketException {
        if (!state.format().equals(FORMAT) || state.version() > readsUpTo) {
            throw new SocketException(Errno.EPROTONOSUPPORT, "revision " + revision + " reads " + FORMAT + " up to version "
                    + readsUpTo + ", not " + state.format() + " version " + state.version());
        }
    }

    @Override
    public Pcb importPcb(Protocol protocol, ProtoSocket so, Snapshot state) throws SocketException {
        importedStates.add(new java.lang.ref.WeakReference<>(state));
        RuntimeException boom = importThrows;
        if (boom != null && imported.get() > 0) {
            // one pcb imported already: the failure must take it back too
            throw boom;
        }
        Dgram d = new Dgram((Proto) protocol, so);
        d.port = (Integer) state.get("port");
        d.opt = (Integer) state.get("opt");
        if (d.port != 0) {
            PORTS.put(d.port, d);
        }
        imported.incrementAndGet();
        return d;
    }

    static int level() {
        return SocketConstants.SOL_SOCKET;
    }
}
