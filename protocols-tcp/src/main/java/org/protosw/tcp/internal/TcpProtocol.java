package org.protosw.tcp.internal;

import static org.protosw.socket.SocketConstants.IPPROTO_TCP;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.SocketException;
import org.protosw.spi.ConnectionInfo;
import org.protosw.spi.InPcb;
import org.protosw.spi.InPcbTable;
import org.protosw.spi.Packet;
import org.protosw.spi.Pcb;
import org.protosw.spi.PpsRateCheck;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.ProtoSocket;
import org.protosw.spi.Protocol;
import org.protosw.spi.Registration;
import org.protosw.spi.Route;
import org.protosw.spi.StringTunable;
import org.protosw.spi.Tunable;
import org.protosw.wire.TcpHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TCP in one stack instance (the VNET state of {@code tcp_subr.c}, with {@code tcp_init}
 * and {@code tcp_destroy}): the pcb table, the tunables, the statistics, the ISN secret,
 * {@code tcp_ctlinput}'s lookup, and {@code tcp_respond} for segments that belong to no
 * connection. {@code tcp_input} itself is {@link TcpInput}.
 */
final class TcpProtocol implements Protocol {
    private static final Logger LOG = LoggerFactory.getLogger(TcpProtocol.class);

    static final String SYSCTL_SENDSPACE = "net.inet.tcp.sendspace";
    static final String SYSCTL_RECVSPACE = "net.inet.tcp.recvspace";
    static final String SYSCTL_MSSDFLT = "net.inet.tcp.mssdflt";
    static final String SYSCTL_MSL = "net.inet.tcp.msl";
    static final String SYSCTL_DELAYED_ACK = "net.inet.tcp.delayed_ack";
    static final String SYSCTL_DELACKTIME = "net.inet.tcp.delacktime";
    static final String SYSCTL_RFC1323 = "net.inet.tcp.rfc1323";
    static final String SYSCTL_SACK = "net.inet.tcp.sack.enable";
    /**
     * Not a FreeBSD name: FreeBSD (since 13) always reports duplicates with D-SACK when SACK is
     * on ({@code tcp_update_dsack_list}) and has no switch; Linux has {@code net.ipv4.tcp_dsack}.
     * protosw's switch goes under FreeBSD's SACK node.
     */
    static final String SYSCTL_DSACK = "net.inet.tcp.sack.dsack";
    static final String SYSCTL_RFC3042 = "net.inet.tcp.rfc3042";
    /**
     * Not FreeBSD names: FreeBSD chooses RACK as a whole TCP stack
     * ({@code net.inet.tcp.functions_default=rack}); Linux has {@code net.ipv4.tcp_recovery}
     * (bit 1: RACK loss detection) and {@code net.ipv4.tcp_early_retrans} (3: TLP). Here RACK
     * sits beside the duplicate-ACK counting in the one stack, so it gets a switch, latched
     * per connection when it is established; TLP's is read at each send.
     */
    static final String SYSCTL_RACK = "net.inet.tcp.rack.enable";
    static final String SYSCTL_RACK_TLP = "net.inet.tcp.rack.tlp";
    static final String SYSCTL_REXMIT_MIN = "net.inet.tcp.rexmit_min";
    static final String SYSCTL_REXMIT_INITIAL = "net.inet.tcp.rexmit_initial";
    static final String SYSCTL_SYN_RETRIES = "net.inet.tcp.syn_retries";
    static final String SYSCTL_KEEPINIT = "net.inet.tcp.keepinit";
    static final String SYSCTL_KEEPIDLE = "net.inet.tcp.keepidle";
    static final String SYSCTL_KEEPINTVL = "net.inet.tcp.keepintvl";
    static final String SYSCTL_KEEPCNT = "net.inet.tcp.keepcnt";
    static final String SYSCTL_PMTUD = "net.inet.tcp.path_mtu_discovery";
    static final String SYSCTL_MINMSS = "net.inet.tcp.minmss";
    static final String SYSCTL_SYNCACHE_BUCKETLIMIT = "net.inet.tcp.syncache.bucketlimit";
    static final String SYSCTL_SYNCACHE_CACHELIMIT = "net.inet.tcp.syncache.cachelimit";
    static final String SYSCTL_SYNCOOKIES = "net.inet.tcp.syncookies";
    static final String SYSCTL_SYNCOOKIES_ONLY = "net.inet.tcp.syncookies_only";
    static final String SYSCTL_RST_ON_SOCK_FAIL = "net.inet.tcp.syncache.rst_on_sock_fail";
    static final String SYSCTL_PERSMIN = "net.inet.tcp.persmin";
    static final String SYSCTL_PERSMAX = "net.inet.tcp.persmax";
    static final String SYSCTL_BLACKHOLE = "net.inet.tcp.blackhole";
    static final String SYSCTL_RECVBUF_AUTO = "net.inet.tcp.recvbuf_auto";
    static final String SYSCTL_RECVBUF_MAX = "net.inet.tcp.recvbuf_max";
    static final String SYSCTL_SENDBUF_AUTO = "net.inet.tcp.sendbuf_auto";
    static final String SYSCTL_SENDBUF_MAX = "net.inet.tcp.sendbuf_max";
    static final String SYSCTL_SENDBUF_INC = "net.inet.tcp.sendbuf_inc";
    static final String SYSCTL_HOSTCACHE_EXPIRE = "net.inet.tcp.hostcache.expire";
    static final String SYSCTL_CC_ALGORITHM = "net.inet.tcp.cc.algorithm";
    /**
     * Not a FreeBSD name: FreeBSD's node {@code net.inet.tcp.cc.hystartplusplus} holds
     * HyStart++'s tunable constants ({@code css_rounds}, {@code n_rttsamples}...) and only the
     * RACK stack turns it on ({@code net.inet.tcp.rack.features.hystartplusplus}). protosw has
     * one stack and keeps RFC 9406's constants fixed, so its switch goes under that node.
     */
    static final String SYSCTL_HYSTART = "net.inet.tcp.cc.hystartplusplus.enable";

    /** The largest window without scaling (RFC 9293) and the largest shift (RFC 7323). */
    static final int TCP_MAXWIN = 65535;
    static final int TCP_MAX_WINSHIFT = 14;

    private final ProtoContext ctx;
    private final TcpStats stats = new TcpStats();
    private final IsnGenerator isn = new IsnGenerator();
    private final CcRegistry ccRegistry;
    /** The trace hooks; {@code trace.hooks} is read once per segment. */
    final TcpTrace trace;
    private final List<Tunable> tunables = new ArrayList<>();
    /**
     * The segment tcp_input parses into, one per input thread, reused. The thread-local value
     * is a JDK AtomicReference that {@link #destroy} empties: a value of this bundle's own
     * class left in the core's input threads' ThreadLocal maps kept every unloaded TCP
     * revision's class loader reachable (SoakIT), and only those threads could remove it.
     */
    private final Set<AtomicReference<Segment>> scratches = ConcurrentHashMap.newKeySet();
    private final ThreadLocal<AtomicReference<Segment>> scratch = ThreadLocal.withInitial(() -> {
        AtomicReference<Segment> r = new AtomicReference<>();
        scratches.add(r);
        return r;
    });
    private volatile boolean destroyed;
    /**
     * Control blocks handed to the core with a socket (attach, a listener's new connection,
     * an import) and the core's detaches of them, in this revision's instance: once every
     * socket is gone the two are equal (TcpUpgradeStressTest). Not carried by an upgrade.
     */
    final java.util.concurrent.atomic.LongAdder pcbsAttached = new java.util.concurrent.atomic.LongAdder();
    final java.util.concurrent.atomic.LongAdder pcbsDetached = new java.util.concurrent.atomic.LongAdder();
    /**
     * Calls the core made into a control block after its detach, or a second detach: what the
     * core's gate and its reference count exist to prevent. Always 0; the first one is named.
     */
    final java.util.concurrent.atomic.LongAdder callsAfterDetach = new java.util.concurrent.atomic.LongAdder();
    volatile String firstCallAfterDetach;
    private final PpsRateCheck errorLogLimit = new PpsRateCheck(1);
    private InPcbTable<TcpCb> table;
    private Registration input;

    Tunable sendspace;
    Tunable recvspace;
    Tunable mssdflt;
    Tunable msl;
    Tunable delayedAck;
    Tunable delacktime;
    Tunable rfc1323;
    Tunable sack;
    Tunable dsack;
    Tunable rfc3042;
    Tunable rackEnable;
    Tunable rackTlp;
    Tunable rexmitMin;
    Tunable rexmitInitial;
    Tunable synRetries;
    Tunable keepinit;
    Tunable keepidle;
    Tunable keepintvl;
    Tunable keepcnt;
    Tunable persmin;
    Tunable syncacheBucketLimit;
    Tunable syncacheCacheLimit;
    Tunable syncookies;
    Tunable syncookiesOnly;
    Tunable rstOnSockFail;
    private SynCache synCache;
    private TcpHostCache hostCache;
    Tunable pathMtuDiscovery;
    Tunable minmss;
    Tunable persmax;
    Tunable blackhole;
    Tunable recvbufAuto;
    Tunable recvbufMax;
    Tunable sendbufAuto;
    Tunable sendbufMax;
    Tunable sendbufInc;
    Tunable hostcacheExpire;
    Tunable hystart;
    /** The default congestion control algorithm's name; read by {@link CcRegistry#defaultFor}. */
    StringTunable ccAlgorithm;

    private TcpProtocol(ProtoContext ctx, CcRegistry ccRegistry, TcpTrace trace) {
        this.ctx = ctx;
        this.ccRegistry = ccRegistry;
        this.trace = trace;
    }

    static TcpProtocol init(ProtoContext ctx, CcRegistry ccRegistry) throws SocketException {
        return init(ctx, ccRegistry, new TcpTrace());
    }

    static TcpProtocol init(ProtoContext ctx, CcRegistry ccRegistry, TcpTrace trace) throws SocketException {
        TcpProtocol tcp = new TcpProtocol(ctx, ccRegistry, trace);
        try {
            tcp.sendspace = tcp.tunable(SYSCTL_SENDSPACE, 32768, 1, 16 << 20, "send buffer of new TCP sockets");
            tcp.recvspace = tcp.tunable(SYSCTL_RECVSPACE, 65536, 1, 16 << 20, "receive buffer of new TCP sockets");
            tcp.mssdflt = tcp.tunable(SYSCTL_MSSDFLT, 536, 88, 65495, "MSS assumed when the peer announces none");
            tcp.msl = tcp.tunable(SYSCTL_MSL, 30000, 1, 600_000, "maximum segment lifetime in ms (TIME_WAIT lasts twice this)");
            tcp.delayedAck = tcp.tunable(SYSCTL_DELAYED_ACK, 1, 0, 1, "delay ACKs (RFC 1122: at least every second full segment)");
            tcp.delacktime = tcp.tunable(SYSCTL_DELACKTIME, 40, 1, 500, "delayed ACK timeout in ms");
            tcp.rfc1323 = tcp.tunable(SYSCTL_RFC1323, 1, 0, 3, "RFC 7323: 1 window scaling and timestamps, 2 scaling only, 3 timestamps only, 0 neither");
            tcp.sack = tcp.tunable(SYSCTL_SACK, 1, 0, 1, "offer and accept SACK (RFC 2018)");
            tcp.dsack = tcp.tunable(SYSCTL_DSACK, 1, 0, 1, "report duplicate segments to the sender in the first SACK block (D-SACK, RFC 2883)");
            tcp.rfc3042 = tcp.tunable(SYSCTL_RFC3042, 1, 0, 1, "limited transmit (RFC 3042): a new segment on each of the first two duplicate ACKs");
            tcp.rackEnable = tcp.tunable(SYSCTL_RACK, 1, 0, 1, "RACK loss detection (RFC 8985) on connections with SACK: lost is what a later segment's delivery outran by an RTT and the reordering window");
            tcp.rackTlp = tcp.tunable(SYSCTL_RACK_TLP, 1, 0, 1, "tail loss probes (RFC 8985 TLP) on RACK connections: a segment two RTTs after the last send instead of waiting for the retransmission timer");
            tcp.rexmitMin = tcp.tunable(SYSCTL_REXMIT_MIN, 200, 1, 60_000, "minimum retransmission timeout in ms");
            tcp.rexmitInitial = tcp.tunable(SYSCTL_REXMIT_INITIAL, 1000, 1, 60_000, "retransmission timeout before the first RTT sample, in ms (RFC 6298)");
            tcp.synRetries = tcp.tunable(SYSCTL_SYN_RETRIES, 6, 0, 12, "SYN and SYN-ACK retransmissions before a connection attempt fails");
            tcp.keepinit = tcp.tunable(SYSCTL_KEEPINIT, 75_000, 1, 3_600_000, "longest a connection attempt may take, in ms");
            tcp.keepidle = tcp.tunable(SYSCTL_KEEPIDLE, 7_200_000, 1, Integer.MAX_VALUE, "idle time in ms before the first keepalive probe");
            tcp.keepintvl = tcp.tunable(SYSCTL_KEEPINTVL, 75_000, 1, Integer.MAX_VALUE, "time in ms between unanswered keepalive probes");
            tcp.keepcnt = tcp.tunable(SYSCTL_KEEPCNT, 8, 1, 1_000_000, "unanswered keepalive probes before the connection is dropped");
            tcp.pathMtuDiscovery = tcp.tunable(SYSCTL_PMTUD, 1, 0, 1, "path MTU discovery (RFC 1191): send with DF, shrink the MSS on ICMP fragmentation needed");
            tcp.minmss = tcp.tunable(SYSCTL_MINMSS, 216, 64, 65495, "smallest MSS path MTU discovery lowers a connection to");
            tcp.syncacheBucketLimit = tcp.tunable(SYSCTL_SYNCACHE_BUCKETLIMIT, 30, 1, 10_000, "half-open connections per SYN cache bucket");
            tcp.syncacheCacheLimit = tcp.tunable(SYSCTL_SYNCACHE_CACHELIMIT, (long) SynCache.HASHSIZE * 30, 1, 1_000_000, "half-open connections in the SYN cache");
            tcp.syncookies = tcp.tunable(SYSCTL_SYNCOOKIES, 1, 0, 1, "answer with a SYN cookie when the SYN cache is full");
            tcp.syncookiesOnly = tcp.tunable(SYSCTL_SYNCOOKIES_ONLY, 0, 0, 1, "answer every SYN with a SYN cookie, keep no half-open connections");
            // 0 (Linux's tcp_abort_on_overflow=0): a burst that fills the accept queue costs
            // its clients a retransmission, not a reset connection; 1 is FreeBSD's default
            tcp.rstOnSockFail = tcp.tunable(SYSCTL_RST_ON_SOCK_FAIL, 0, 0, 1,
                    "reset a completed handshake the listen queue has no room for (0: drop its ACK, keep it half-open)");
            tcp.persmin = tcp.tunable(SYSCTL_PERSMIN, 5000, 1, 600_000, "minimum persist (zero window probe) interval in ms");
            tcp.persmax = tcp.tunable(SYSCTL_PERSMAX, 60_000, 1, 600_000, "maximum persist interval in ms");
            tcp.blackhole = tcp.tunable(SYSCTL_BLACKHOLE, 0, 0, 2, "no RST for segments to closed ports (1: only for SYNs, 2: for all)");
            tcp.recvbufAuto = tcp.tunable(SYSCTL_RECVBUF_AUTO, 1, 0, 1, "grow the receive buffer while the window limits the transfer");
            tcp.recvbufMax = tcp.tunable(SYSCTL_RECVBUF_MAX, 2 << 20, 1, 1 << 30, "largest receive buffer autotuning grows to");
            tcp.sendbufAuto = tcp.tunable(SYSCTL_SENDBUF_AUTO, 1, 0, 1, "grow the send buffer while it limits the transfer");
            tcp.sendbufMax = tcp.tunable(SYSCTL_SENDBUF_MAX, 2 << 20, 1, 1 << 30, "largest send buffer autotuning grows to");
            tcp.sendbufInc = tcp.tunable(SYSCTL_SENDBUF_INC, 8192, 1, 16 << 20, "send buffer autotuning step in bytes");
            tcp.hostcacheExpire = tcp.tunable(SYSCTL_HOSTCACHE_EXPIRE, 600, 1, 86_400,
                    "seconds a learned path MTU is kept before the full MTU is tried again (RFC 1191: 10 minutes)");
            tcp.hostCache = new TcpHostCache(tcp.hostcacheExpire::get);
            tcp.hystart = tcp.tunable(SYSCTL_HYSTART, 1, 0, 1, "HyStart++ (RFC 9406) in the first slow start of new connections, for algorithms that implement it");
            tcp.ccAlgorithm = ctx.sysctl().registerString(SYSCTL_CC_ALGORITHM, CcRegistry.DEFAULT_ALGORITHM,
                    ccRegistry::refuseDefault, "congestion control algorithm of new connections (tcp:cc lists them)");
            tcp.table = ctx.newPcbTable("tcp");
            tcp.synCache = new SynCache(tcp);
            tcp.input = ctx.ipprotoRegister(IPPROTO_TCP, (p, hlen) -> TcpInput.tcpInput(tcp, p, hlen));
        } catch (IllegalArgumentException e) {
            tcp.destroy();
            throw new SocketException(Errno.EEXIST, "tcp init in " + ctx.vnet() + ": " + e.getMessage(), e);
        } catch (SocketException | RuntimeException e) {
            tcp.destroy();
            throw e;
        }
        return tcp;
    }

    private Tunable tunable(String name, long def, long min, long max, String description) {
        Tunable t = ctx.sysctl().register(name, def, min, max, description);
        tunables.add(t);
        return t;
    }

    ProtoContext context() {
        return ctx;
    }

    /** The core called {@code call} on {@code tp} after detaching it: counted, the first one kept. */
    void callAfterDetach(String call, TcpCb tp) {
        callsAfterDetach.increment();
        if (firstCallAfterDetach == null) {
            firstCallAfterDetach = call + " on " + tp + " (" + tp.state + ") in " + ctx.vnet() + ", thread "
                    + Thread.currentThread().getName();
            LOG.error("tcp in {}: {} reached a control block after its detach", ctx.vnet(), firstCallAfterDetach);
        }
    }

    InPcbTable<TcpCb> table() {
        return table;
    }

    TcpStats stats() {
        return stats;
    }

    TcpHostCache hostCache() {
        return hostCache;
    }

    SynCache synCache() {
        return synCache;
    }

    IsnGenerator isn() {
        return isn;
    }

    CcRegistry ccRegistry() {
        return ccRegistry;
    }

    @Override
    public Pcb attach(ProtoSocket so) throws SocketException {
        so.soreserve(sendspace.getInt(), recvspace.getInt());
        return new TcpCb(this, so);
    }

    /** The MSS to offer towards {@code dst}: the route's MTU less the IP and TCP headers. */
    int mssFor(int dst) {
        Route rt = ctx.routeLookup(dst);
        if (rt == null || rt.ifp() == null) {
            return mssdflt.getInt();
        }
        return Math.max(rt.effectiveMtu() - 40, 64);
    }

    /** The segment {@code tcp_input} reuses on this thread (a fresh one once destroyed, kept nowhere). */
    Segment scratch() {
        if (destroyed) {
            return new Segment();
        }
        AtomicReference<Segment> r = scratch.get();
        Segment s = r.get();
        if (s == null) {
            s = new Segment();
            r.set(s);
        }
        return s;
    }

    /** An internal error dropped a segment: counted, and logged at most once a second. */
    void inputError(RuntimeException e) {
        stats.inerrors.increment();
        if (errorLogLimit.check()) {
            LOG.warn("tcp input in {} dropped a segment after an internal error", ctx.vnet(), e);
        }
    }

    /** {@code tcp_respond}: a bare control segment outside any connection. */
    void respond(int laddr, int lport, int faddr, int fport, int seq, int ack, int flags) {
        Packet p = ctx.allocate(TcpHeader.MIN_LENGTH);
        TcpHeader th = new TcpHeader(p.array(), p.offset(), TcpHeader.MIN_LENGTH);
        th.setSrcPort(lport).setDstPort(fport).setSeq(seq).setAck(ack).setHeaderLength(TcpHeader.MIN_LENGTH)
                .setFlags(flags).setWindow(0).setUrgentPointer(0).setChecksum(0);
        th.fillChecksum(laddr, faddr);
        if ((flags & TcpHeader.RST) != 0) {
            stats.sndrst.increment();
        } else {
            stats.sndacks.increment();
        }
        stats.sndtotal.increment();
        try {
            ctx.ipOutput(p, laddr, faddr, IPPROTO_TCP, -1, 0, 0);
        } catch (SocketException e) {
            stats.outerrors.increment();
        }
    }

    /**
     * {@code tcp_ctlinput}: an ICMP error quoting a segment we sent. A port or protocol
     * unreachable ends a connection attempt (ECONNREFUSED); other errors are soft: they are
     * reported only if the connection then times out, as BSD does.
     */
    @Override
    public void ctlinput(org.protosw.spi.IcmpError error) {
        try {
            Packet q = error.inner();
            if (q == null || q.length() < 28) {
                return;
            }
            int vhl = q.get8(0);
            int ihl = (vhl & 0xf) << 2;
            if ((vhl >>> 4) != 4 || ihl < 20 || q.length() < ihl + 8 || q.get8(9) != IPPROTO_TCP) {
                return;
            }
            int src = q.get32(12);
            int dst = q.get32(16);
            int sport = q.get16(ihl);
            int dport = q.get16(ihl + 2);
            int seq = q.get32(ihl + 4);
            InPcb<TcpCb> inp = table.lookup(dst, dport, src, sport, false);
            TcpCb cb = inp == null ? null : inp.owner();
            if (cb != null) {
                TcpSubr.tcpCtlinput(cb, error.type(), error.code(), seq, error.nextMtu(), q.get16(2));
            }
        } catch (RuntimeException e) {
            stats.inerrors.increment();
            if (errorLogLimit.check()) {
                LOG.warn("tcp ctlinput in {} failed on {}", ctx.vnet(), error, e);
            }
        }
    }

    /** The connections in the table whose socket was detached (closing, TIME_WAIT). */
    @Override
    public List<ConnectionInfo> orphans() {
        List<ConnectionInfo> out = new ArrayList<>();
        for (InPcb<TcpCb> inp : table.list()) {
            TcpCb cb = inp.owner();
            ConnectionInfo c = cb == null ? null : TcpUsrReq.orphanInfo(cb);
            if (c != null) {
                out.add(c);
            }
        }
        return out;
    }

    @Override
    public Map<String, Long> statistics() {
        Map<String, Long> m = stats.snapshot();
        m.put("syncache entries held", synCache == null ? 0L : synCache.size());
        return m;
    }

    /**
     * Connections that outlived their sockets (closing, TIME_WAIT) end with the protocol:
     * those still exchanging data reset their peer so it does not wait for nothing.
     */
    @Override
    public void destroy() {
        destroyed = true;
        if (table != null) {
            for (InPcb<TcpCb> inp : table.list()) {
                TcpCb cb = inp.owner();
                if (cb != null) {
                    TcpSubr.tcpUnload(cb);
                }
            }
        }
        if (input != null) {
            input.close();
        }
        // after input is unhooked: a segment parsed meanwhile saw destroyed and kept nothing
        scratches.forEach(r -> r.set(null));
        scratches.clear();
        if (synCache != null) {
            synCache.stop();
        }
        for (Tunable t : tunables) {
            t.close();
        }
        tunables.clear();
        if (ccAlgorithm != null) {
            ccAlgorithm.close();
        }
    }

    String describe(int addr, int port) {
        return new InAddr(addr) + ":" + port;
    }
}
