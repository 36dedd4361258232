package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.StandaloneStack;
import org.protosw.internal.kern.Vnet;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.spi.IfAddr;
import org.protosw.tcp.TcpSockOpts;
import org.protosw.tcp.cc.AckType;
import org.protosw.tcp.cc.CcVars;
import org.protosw.tcp.cc.CongestionControl;
import org.protosw.tcp.cc.CongestionSignal;
import org.protosw.wire.TcpHeader;

/**
 * The listener path under fire (issue 10): while injectors send SYNs and the ACKs that
 * complete them (through the SYN cache and, once it is full, through cookies) from many
 * peers, one administrator thread keeps changing the listener's options, closes it from
 * time to time and listens again on the same port, and an application thread accepts some
 * of the connections and closes them.
 *
 * <p>What a user would notice, checked at the end:
 * <ul>
 * <li>nothing threw out of the input path (no internal-error count, no failed packet, every
 * input worker alive);
 * <li>every accepted connection has the TCP options ({@code TCP_MAXSEG}, {@code TCP_NODELAY},
 * {@code TCP_CONGESTION}) of one state the listener was in, never a mix, and a state the
 * listener was in between the ACK being sent and the connection's socket being made: not
 * options set afterwards. Each SYN-ACK likewise offers the MSS and window of one state of the
 * listener between its SYN and its sending. The socket-level options the core copies in
 * {@code sonewconn} (SO_RCVBUF, SO_KEEPALIVE) are each a value the listener had in that
 * interval; the core copies them without TCP's lock (as FreeBSD's {@code sonewconn} does
 * without the inpcb's), so they are not checked as one state with the TCP options;
 * <li>a SYN sent after close returned is answered by a RST, and no connection is made once
 * the last close returned;
 * <li>each peer is reset exactly once: whether its handshake was refused, its connection
 * accepted and closed with SO_LINGER 0, or still queued when the listener closed;
 * <li>the counters add up: SYNs = entries added + cookies sent + SYNs reset, handshakes
 * completed = connections made + connections aborted, and the rest below; and nothing is
 * left in the pcb table or the protocol's socket set.
 * </ul>
 *
 * <p><b>Why a stalling congestion-control algorithm.</b> Reading the listener after its lock
 * is released (as the code before issue 10 did) gives a connection a mix of two states only
 * if the options change in the few nanoseconds between two reads, which a bounded run would
 * seldom see. The test therefore makes {@code stall}, a congestion-control algorithm
 * registered through the public SPI, the default: its {@code init} runs when
 * {@code sonewconn} attaches the new connection's control block, where it notes the
 * listener's state (the upper end of the connection's window above), and on an input worker
 * it waits (bounded) until the administrator has changed two more generations of options.
 * That breaks the SPI's "must not block" rule on purpose: it widens the stretch between the
 * ACK's arrival at the listener and the moment the connection's own options are set, where
 * the listener's lock is not held. Options read from the listener there are options set
 * after the connection's socket existed, and the check catches them on every connection.
 *
 * <p>Checked against a TCP that reads the listener's fields where it uses them, as before
 * issue 10: 20 runs of 20 failed, 18 with every accepted connection flagged ("TCP options of
 * no state in states [280, 541], they are those of state 553, set later"), 2 on the count of
 * listen queue overflows (a handshake refused because the listener's socket read as gone
 * after its close). Without the wait (the note alone) 20 of 20 failed too.
 */
class ListenerStressTest {
    private static final InAddr LOCAL = InAddr.of(192, 0, 2, 1);
    private static final int PORT = 8080;
    private static final int INJECTORS = 3;
    private static final int ROUNDS = 40;
    private static final int BATCH = 12;
    /** Peer addresses per injector: 192.0.2.(10 + 60 i + n % 60), ports from 10000. */
    private static final int ADDRS = 60;
    private static final InAddr PROBE = InAddr.of(192, 0, 2, 250);
    /** Connections the application accepts from one listener; the rest wait for its close. */
    private static final int ACCEPT_PER_LISTENER = 40;
    /** The administrator closes and listens again after this many connections, or 300 ms. */
    private static final int CHILDREN_PER_LISTENER = 80;
    private static final long RUN_LIMIT_NS = TimeUnit.SECONDS.toNanos(90);
    /** The listener's algorithms: the two built in and ten more NewReno under other names, so that its options repeat rarely. */
    private static final String[] CC = {"newreno", "cubic", "cc2", "cc3", "cc4", "cc5", "cc6", "cc7", "cc8", "cc9", "cc10", "cc11"};
    /**
     * States after which the TCP options the test sets repeat: a window wider than this could
     * not tell options set later from earlier ones (it never was in the runs seen, by far).
     */
    private static final int REPEAT = 900 * 12 * 5;
    private static final byte[] SYN_OPTIONS = {2, 4, 0x05, (byte) 0xb4, 1, 3, 3, 2, 1, 1, 4, 2};

    private StandaloneStack stack;
    private Vnet vnet;
    private CaptureLink link;
    private TcpProtocol tcp;

    /** One state of the listener: its options after one change by the administrator. */
    private record State(int cc, int rcv, int mss, boolean ka, boolean nd) {
    }

    /** The listener's states in order (written by the administrator only; read after it ended). */
    private final List<State> history = new ArrayList<>();
    /** The index in {@link #history} of the state the listener is in or has just left. */
    private volatile int published = -1;
    /** False while the administrator is not changing options (closing, listening again, done). */
    private volatile boolean changing;
    private volatile Socket current;
    private volatile boolean injectorsDone;
    /** Connections made when the last close returned. */
    private volatile long acceptsAtLastClose;
    private final Queue<String> failures = new ConcurrentLinkedQueue<>();
    private final Map<Long, Flow> flows = new ConcurrentHashMap<>();
    private final Map<Long, Child> children = new ConcurrentHashMap<>();
    /** Each new control block made on an input worker, and {@link #published} when it was made. */
    private final Map<TcpCb, Integer> madeAt = new ConcurrentHashMap<>();
    private final AtomicInteger stalled = new AtomicInteger();
    private final AtomicInteger closes = new AtomicInteger();
    private final AtomicLong probes = new AtomicLong();

    /** One peer's handshake, as the peer saw it. */
    private static final class Flow {
        final int src;
        final int sport;
        final boolean probe;
        final CompletableFuture<CaptureLink.Out> answer = new CompletableFuture<>();
        final AtomicInteger synAcks = new AtomicInteger();
        final AtomicInteger rsts = new AtomicInteger();
        final AtomicInteger others = new AtomicInteger();
        volatile CaptureLink.Out synAck;
        volatile int synFrom;
        volatile int synTo;
        volatile int ackFrom = -1;

        Flow(int src, int sport, boolean probe) {
            this.src = src;
            this.sport = sport;
            this.probe = probe;
        }
    }

    /** An accepted connection's options, and the state index just after accept returned. */
    private record Child(int cc, int rcv, int mss, boolean ka, boolean nd, int acceptedAt) {
    }

    @BeforeEach
    void setUp() throws Exception {
        stack = new StandaloneStack();
        TcpProtoSw sw = new TcpProtoSw();
        stack.register(sw, TcpProtoSw.PROPERTIES, "org.protosw.tcp (listener stress test)");
        vnet = stack.stack();
        link = new CaptureLink("cap0", 1500);
        vnet.attachInterface(link);
        vnet.addAddress(link, new IfAddr(LOCAL, 24, InAddr.of(192, 0, 2, 255)));
        tcp = sw.instance(vnet.name());
        sw.ccRegistry().register("stall", new Stall(), "listener stress test");
        for (int i = 2; i < CC.length; i++) {
            sw.ccRegistry().register(CC[i], new NewReno(), "listener stress test");
        }
        tcp.ccAlgorithm.set("stall");
        // a small cache, so that part of the handshakes go through cookies
        vnet.sysctl().find("net.inet.tcp.syncache.cachelimit").set(40);
        // no SYN-ACK is sent twice while the test runs
        vnet.sysctl().find("net.inet.tcp.rexmit_initial").set(60_000);
        // every peer is answered once and for all: a handshake the listen queue has no room
        // for is reset (FreeBSD's answer), not kept half-open for a later ACK (the default)
        vnet.sysctl().find("net.inet.tcp.syncache.rst_on_sock_fail").set(1);
        link.tap(this::sent);
    }

    @AfterEach
    void tearDown() {
        stack.close();
    }

    @Test
    void optionsChangesAndClosesDuringHandshakesLeaveEveryConnectionWhole() throws Exception {
        long start = System.nanoTime();
        Thread admin = thread("admin", this::administer);
        Thread acceptor = thread("acceptor", this::acceptLoop);
        List<Thread> injectors = new ArrayList<>();
        awaitFirstListener();
        for (int i = 0; i < INJECTORS; i++) {
            int id = i;
            injectors.add(thread("injector-" + i, () -> inject(id)));
        }
        for (Thread t : injectors) {
            t.join(TimeUnit.NANOSECONDS.toMillis(RUN_LIMIT_NS));
            assertThat(t.isAlive()).as("%s finished within the run's limit", t.getName()).isFalse();
        }
        injectorsDone = true;
        admin.join(30_000);
        acceptor.join(30_000);
        assertThat(admin.isAlive()).as("the administrator finished").isFalse();
        assertThat(acceptor.isAlive()).as("the acceptor finished").isFalse();

        // everything sent is processed and every peer has had its answer
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!settled()) {
            assertThat(System.nanoTime()).as("the stack settled within 30 s of the last close").isLessThan(deadline);
            LockSupport.parkNanos(1_000_000);
        }
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;

        assertThat(failures).as("failures seen by the test's threads").isEmpty();

        // nothing escaped the input path
        assertThat(vnet.netisr().failedTotal()).as("packets whose processing threw").isZero();
        assertThat(vnet.netisr().liveWorkers()).isEqualTo(vnet.netisr().threads());
        assertThat(tcp.statistics()).doesNotContainKey("dropped due to internal errors");

        // every peer: one answer to its SYN, one RST in all, nothing else
        List<Flow> all = new ArrayList<>(flows.values());
        long synAcked = all.stream().filter(f -> f.synAcks.get() == 1).count();
        long refused = all.stream().filter(f -> f.synAcks.get() == 0).count();
        for (Flow f : all) {
            String who = new InAddr(f.src) + ":" + f.sport;
            assertThat(f.synAcks.get()).as("SYN-ACKs to %s", who).isLessThanOrEqualTo(1);
            assertThat(f.rsts.get()).as("RSTs to %s", who).isEqualTo(1);
            assertThat(f.others.get()).as("other segments to %s", who).isZero();
            if (f.probe) {
                assertThat(f.synAcks.get()).as("SYN-ACKs to probe %s sent after close returned", who).isZero();
            }
        }
        assertThat(stat("connection accepts")).as("connections made after the last close returned").isEqualTo(acceptsAtLastClose);

        // the counters add up
        long syns = all.size();
        assertThat(stat("syncache entries added") + stat("cookies sent")).isEqualTo(synAcked);
        assertThat(syns - synAcked).isEqualTo(refused);
        assertThat(stat("syncache dupsyn")).isZero();
        assertThat(stat("syncache dropped")).isZero();
        assertThat(stat("syncache bucket overflow") + stat("syncache cache overflow")).isEqualTo(stat("cookies sent"));
        long completed = stat("syncache completed") + stat("cookies received");
        long made = stat("connection accepts");
        assertThat(completed).isEqualTo(made + stat("syncache aborted (listen queue full)"));
        assertThat(stat("listen queue overflows")).as("listen queue overflows: every handshake refused was refused by the listen queue")
                .isEqualTo(stat("syncache aborted (listen queue full)"));
        assertThat(stat("syncache badack") + stat("cookies failed") + stat("syncache reset") + stat("syncache timed out")).isZero();
        assertThat((long) tcp.synCache().size()).as("entries left: those whose ACK found no listener")
                .isEqualTo(stat("syncache entries added") - stat("syncache completed"));
        // each connection made ended once: accepted and closed with SO_LINGER 0, or aborted on a queue
        assertThat(stat("connections dropped") + stat("embryonic connections dropped")).isEqualTo(made);
        assertThat(stat("connections closed (including drops)")).isEqualTo(made);
        assertThat(stat("resets sent")).as("one RST a peer").isEqualTo(syns);
        assertThat(tcp.table().list()).as("pcbs left in the table").isEmpty();
        assertThat(stack.core().registry().entry("tcp").instance(vnet.name()).openSockets()).as("TCP sockets left").isZero();

        // every accepted connection took one state of the listener, from before its socket was made
        List<String> bad = new ArrayList<>();
        Map<Long, Integer> madeAtPeer = madeAtByPeer();
        int widest = 0;
        for (Map.Entry<Long, Child> e : children.entrySet()) {
            Flow f = flows.get(e.getKey());
            Child c = e.getValue();
            int from = f.ackFrom;
            int to = c.acceptedAt + 1;
            Integer m = madeAtPeer.get(e.getKey());
            if (m != null) {
                to = Math.min(to, m + 1);
            }
            widest = Math.max(widest, to - from);
            String why = check(c, from, to);
            if (why != null) {
                bad.add(new InAddr(f.src) + ":" + f.sport + " " + why);
            }
        }
        for (Flow f : all) {
            CaptureLink.Out o = f.synAck;
            if (o == null) {
                continue;
            }
            int mss = ((o.options()[2] & 0xff) << 8) | (o.options()[3] & 0xff);
            boolean ok = false;
            for (int i = Math.max(0, f.synFrom); i <= Math.min(f.synTo, history.size() - 1) && !ok; i++) {
                ok = history.get(i).mss == mss && history.get(i).rcv == o.window();
            }
            if (!ok) {
                bad.add(new InAddr(f.src) + ":" + f.sport + " SYN-ACK MSS " + mss + " window " + o.window()
                        + " is no state of the listener in [" + f.synFrom + ", " + f.synTo + "]");
            }
        }
        String summary = String.format("%d peers (%d probes), %d SYN-ACKs (%d cookies), %d connections made, %d accepted,"
                + " %d made with the stall, %d closes, %d listener states, widest window %d states (TCP options repeat after %d), %d ms",
                syns, probes.get(), synAcked, stat("cookies sent"), made, children.size(), stalled.get(), closes.get(), history.size(),
                widest, REPEAT, elapsedMs);
        System.out.println("ListenerStressTest: " + summary);
        assertThat(bad.size()).as("connections and SYN-ACKs whose options are no one state of the listener in their window (%s);"
                + " the first: %s", summary, String.join("; ", bad.subList(0, Math.min(3, bad.size())))).isZero();

        // the run did what it is about
        assertThat(stat("cookies received")).as("handshakes completed through cookies").isPositive();
        assertThat(stat("syncache completed")).as("handshakes completed through entries").isPositive();
        assertThat(closes.get()).as("listener closes").isGreaterThanOrEqualTo(3);
        assertThat(children).as("accepted connections").isNotEmpty();
        assertThat(made - children.size()).as("connections aborted on a closing listener's queues").isPositive();
        assertThat(stalled.get()).as("connections made while the options changed").isPositive();
    }

    // ---- the checks -----------------------------------------------------------------------

    /** Null when some state in [from, to] has the connection's TCP options and each of its socket options. */
    private String check(Child c, int from, int to) {
        from = Math.max(0, from);
        to = Math.min(to, history.size() - 1);
        boolean tcpOk = false;
        boolean rcvOk = false;
        boolean kaOk = false;
        for (int i = from; i <= to; i++) {
            State s = history.get(i);
            tcpOk |= s.cc == c.cc && s.mss == c.mss && s.nd == c.nd;
            rcvOk |= s.rcv == c.rcv;
            kaOk |= s.ka == c.ka;
        }
        if (tcpOk && rcvOk && kaOk) {
            return null;
        }
        int later = -1;
        for (int i = to + 1; i < history.size() && later < 0; i++) {
            State s = history.get(i);
            if (s.cc == c.cc && s.mss == c.mss && s.nd == c.nd) {
                later = i;
            }
        }
        return String.format("has %s %d nodelay %s (SO_RCVBUF %d, SO_KEEPALIVE %s): %s in states [%d, %d]%s", c.cc < 0 ? "?" : CC[c.cc], c.mss,
                c.nd, c.rcv, c.ka, !tcpOk ? "TCP options of no state" : !rcvOk ? "SO_RCVBUF of no state" : "SO_KEEPALIVE of no state",
                from, to, later >= 0 ? ", they are those of state " + later + ", set later" : "");
    }

    /** The state index at which each peer's control block was made, for those the handshake got to. */
    private Map<Long, Integer> madeAtByPeer() {
        Map<Long, Integer> m = new ConcurrentHashMap<>();
        madeAt.forEach((tp, at) -> {
            tp.lock.lock();
            try {
                if (tp.fport != 0) {
                    m.put(key(tp.faddr, tp.fport), at);
                }
            } finally {
                tp.lock.unlock();
            }
        });
        return m;
    }

    private boolean settled() {
        if (vnet.netisr().handledTotal() != vnet.netisr().queuedTotal()) {
            return false;
        }
        for (Flow f : flows.values()) {
            if (f.rsts.get() == 0) {
                return false;
            }
        }
        return true;
    }

    // ---- the administrator ------------------------------------------------------------------

    /** Another algorithm each generation; with {@link #mss} the pair repeats after 10800 generations. */
    private static int cc(int g) {
        return (g + g / 900) % CC.length;
    }

    private static int rcv(int g) {
        return 16384 + (g % 61) * 512;
    }

    private static int mss(int g) {
        return 536 + (g % 900);
    }

    private static boolean ka(int g) {
        return g % 3 == 0;
    }

    private static boolean nd(int g) {
        return ((g >> 1) & 1) == 1;
    }

    /** Changes the listener's options one at a time, generation after generation; closes it and listens again now and then. */
    private void administer() throws Exception {
        int g = 0;
        int[] cur = new int[5];
        current = listen(g, cur);
        long openedAt = System.nanoTime();
        long acceptsAtOpen = tcp.stats().accepts.sum();
        changing = true;
        while (!injectorsDone) {
            g++;
            for (int op = 0; op < 5; op++) {
                apply(current, op, g, cur);
                record(cur);
            }
            // a breath between generations: the listener changes a few thousand times a second,
            // which keeps the window of each handshake short in states (see REPEAT)
            LockSupport.parkNanos(20_000);
            if (tcp.stats().accepts.sum() - acceptsAtOpen >= CHILDREN_PER_LISTENER || System.nanoTime() - openedAt > 300_000_000L) {
                changing = false;
                current.close();
                closes.incrementAndGet();
                probeAfterClose();
                g++;
                current = listen(g, cur);
                openedAt = System.nanoTime();
                acceptsAtOpen = tcp.stats().accepts.sum();
                changing = true;
            }
        }
        changing = false;
        Socket last = current;
        current = null;
        last.close();
        acceptsAtLastClose = tcp.stats().accepts.sum();
        closes.incrementAndGet();
        probeAfterClose();
    }

    /** A new listener on the port with all options of generation {@code g}, recorded as one state once it listens. */
    private Socket listen(int g, int[] cur) throws Exception {
        Socket s = vnet.socket(SocketConstants.AF_INET, SocketConstants.SOCK_STREAM, SocketConstants.IPPROTO_TCP);
        s.setOption(SockOpt.SO_REUSEADDR, true);
        for (int op = 0; op < 5; op++) {
            apply(s, op, g, cur);
        }
        s.bind(new InetSockAddr(LOCAL, PORT));
        s.listen(128);
        record(cur);
        return s;
    }

    private static void apply(Socket s, int op, int g, int[] cur) throws SocketException {
        switch (op) {
            case 0 -> s.setOption(TcpSockOpts.TCP_CONGESTION, CC[cc(g)]);
            case 1 -> s.setOption(SockOpt.SO_RCVBUF, rcv(g));
            case 2 -> s.setOption(TcpSockOpts.TCP_MAXSEG, mss(g));
            case 3 -> s.setOption(SockOpt.SO_KEEPALIVE, ka(g));
            default -> s.setOption(TcpSockOpts.TCP_NODELAY, nd(g));
        }
        cur[op] = g;
    }

    private void record(int[] cur) {
        history.add(new State(cc(cur[0]), rcv(cur[1]), mss(cur[2]), ka(cur[3]), nd(cur[4])));
        published = history.size() - 1;
    }

    /** A SYN sent after close returned, from a peer of its own: it must be reset, not answered. */
    private void probeAfterClose() throws Exception {
        int port = 10000 + (int) probes.getAndIncrement();
        Flow f = new Flow(PROBE.bits(), port, true);
        flows.put(key(f.src, port), f);
        f.synFrom = published;
        link.inject(CaptureLink.segment(f.src, port, LOCAL.bits(), PORT, 7, 0, TcpHeader.SYN, 65535, SYN_OPTIONS));
        CaptureLink.Out o = f.answer.get(20, TimeUnit.SECONDS);
        if (o.flags() == (TcpHeader.SYN | TcpHeader.ACK)) {
            failures.add("a SYN sent after close returned was answered with a SYN-ACK");
        }
    }

    private void awaitFirstListener() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (published < 0 || !changing) {
            assertThat(System.nanoTime()).as("the first listener listens within 10 s").isLessThan(deadline);
            LockSupport.parkNanos(100_000);
        }
    }

    // ---- the application --------------------------------------------------------------------

    /** Accepts up to {@link #ACCEPT_PER_LISTENER} connections of each listener, notes their options, resets them. */
    private void acceptLoop() throws Exception {
        Socket counted = null;
        int accepted = 0;
        while (true) {
            Socket l = current;
            if (l == null) {
                if (injectorsDone && !changing) {
                    return;
                }
                LockSupport.parkNanos(100_000);
                continue;
            }
            if (l != counted) {
                counted = l;
                accepted = 0;
                try {
                    l.setOption(SockOpt.SO_RCVTIMEO, 50);
                } catch (SocketException e) {
                    // closed already: the next turn finds its successor
                }
            }
            if (accepted >= ACCEPT_PER_LISTENER) {
                LockSupport.parkNanos(100_000);
                continue;
            }
            Socket c;
            try {
                c = l.accept();
            } catch (SocketException e) {
                if (e.errno() == Errno.EBADF || e.errno() == Errno.ECONNABORTED || e.errno() == Errno.EAGAIN
                        || e.errno() == Errno.ETIMEDOUT || e.errno() == Errno.EINVAL) {
                    continue;
                }
                throw e;
            }
            int at = published;
            accepted++;
            InetSockAddr peer = (InetSockAddr) c.peerAddress();
            int cc = java.util.Arrays.asList(CC).indexOf(c.getOption(TcpSockOpts.TCP_CONGESTION));
            children.put(key(peer.addr().bits(), peer.port()), new Child(cc, c.getOption(SockOpt.SO_RCVBUF),
                    c.getOption(TcpSockOpts.TCP_MAXSEG), c.getOption(SockOpt.SO_KEEPALIVE), c.getOption(TcpSockOpts.TCP_NODELAY), at));
            c.setOption(SockOpt.SO_LINGER, 0);
            c.close();
        }
    }

    // ---- the peers ----------------------------------------------------------------------------

    /** Rounds of {@link #BATCH} handshakes from peers of its own: the SYNs, their answers, then the ACKs. */
    private void inject(int id) throws Exception {
        int n = 0;
        for (int round = 0; round < ROUNDS; round++) {
            List<Flow> batch = new ArrayList<>();
            for (int i = 0; i < BATCH; i++, n++) {
                int src = InAddr.of(192, 0, 2, 10 + id * ADDRS + n % ADDRS).bits();
                Flow f = new Flow(src, 10000 + n / ADDRS, false);
                flows.put(key(src, f.sport), f);
                f.synFrom = published;
                link.inject(CaptureLink.segment(src, f.sport, LOCAL.bits(), PORT, seq(f), 0, TcpHeader.SYN, 65535, SYN_OPTIONS));
                batch.add(f);
            }
            for (Flow f : batch) {
                CaptureLink.Out o = f.answer.get(20, TimeUnit.SECONDS);
                if (o.flags() != (TcpHeader.SYN | TcpHeader.ACK)) {
                    continue;
                }
                f.ackFrom = published;
                link.inject(CaptureLink.segment(f.src, f.sport, LOCAL.bits(), PORT, seq(f) + 1, o.seq() + 1, TcpHeader.ACK, 65535,
                        new byte[0]));
            }
        }
    }

    private static int seq(Flow f) {
        return f.sport * 7919 + f.src;
    }

    /** What the stack sent, on the thread that sent it: counted against the peer it went to. */
    private void sent(CaptureLink.Out o) {
        Flow f = flows.get(key(o.dst(), o.dport()));
        if (f == null) {
            failures.add("a segment to " + new InAddr(o.dst()) + ":" + o.dport() + ", no peer of the test");
            return;
        }
        if (o.flags() == (TcpHeader.SYN | TcpHeader.ACK)) {
            if (f.synAcks.getAndIncrement() == 0) {
                f.synTo = published + 1;
                f.synAck = o;
            }
            f.answer.complete(o);
        } else if ((o.flags() & TcpHeader.RST) != 0) {
            f.rsts.incrementAndGet();
            f.answer.complete(o);
        } else {
            f.others.incrementAndGet();
        }
    }

    private static long key(int addr, int port) {
        return (addr & 0xffffffffL) << 16 | port;
    }

    // ---- the stall ------------------------------------------------------------------------------

    /**
     * NewReno, whose {@code init} on an input worker (that is, for a connection being made
     * by {@code sonewconn}) notes the listener's state and waits, bounded, until the
     * administrator has changed two generations of options more.
     */
    private final class Stall implements CongestionControl {
        private final NewReno nr = new NewReno();

        @Override
        public void init(CcVars ccv) {
            int at = published;
            madeAt.put((TcpCb) ccv, at);
            if (Thread.currentThread().getName().startsWith("netisr-")) {
                long deadline = System.nanoTime() + 100_000_000L;
                boolean waited = false;
                while (changing && published < at + 10 && System.nanoTime() < deadline) {
                    waited = true;
                    Thread.yield();
                }
                if (waited && published >= at + 10) {
                    stalled.incrementAndGet();
                }
            }
            nr.init(ccv);
        }

        @Override
        public void destroy(CcVars ccv) {
            nr.destroy(ccv);
        }

        @Override
        public void connInit(CcVars ccv) {
            nr.connInit(ccv);
        }

        @Override
        public void ackReceived(CcVars ccv, AckType type) {
            nr.ackReceived(ccv, type);
        }

        @Override
        public void congSignal(CcVars ccv, CongestionSignal signal) {
            nr.congSignal(ccv, signal);
        }

        @Override
        public void postRecovery(CcVars ccv) {
            nr.postRecovery(ccv);
        }

        @Override
        public void afterIdle(CcVars ccv) {
            nr.afterIdle(ccv);
        }
    }

    // ---- plumbing -------------------------------------------------------------------------------

    @FunctionalInterface
    private interface Body {
        void run() throws Exception;
    }

    private Thread thread(String name, Body body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failures.add(Thread.currentThread().getName() + ": " + e);
                e.printStackTrace();
            }
        }, "stress-" + name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private long stat(String name) {
        Long v = tcp.statistics().get(name);
        if (v == null) {
            throw new IllegalArgumentException("no TCP statistic '" + name + "'");
        }
        return v;
    }
}
