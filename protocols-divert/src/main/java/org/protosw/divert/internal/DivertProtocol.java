package org.protosw.divert.internal;

import static org.protosw.socket.SocketConstants.IPPROTO_DIVERT;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.SocketException;
import org.protosw.spi.IfAddr;
import org.protosw.spi.IfNet;
import org.protosw.spi.Packet;
import org.protosw.spi.Pcb;
import org.protosw.spi.Pfil;
import org.protosw.spi.PfilHook;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.ProtoSocket;
import org.protosw.spi.Protocol;
import org.protosw.spi.Registration;
import org.protosw.spi.Route;
import org.protosw.spi.Tunable;
import org.protosw.wire.Ipv4Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Divert in one stack instance ({@code ip_divert.c} with the divert half of
 * {@code ip_fw_pfil.c}): the bound divert ports, the pfil hook that runs the instance's
 * rules on every interface, {@code divert_packet} and the re-injection of what
 * applications write back.
 */
final class DivertProtocol implements Protocol {
    private static final Logger LOG = LoggerFactory.getLogger(DivertProtocol.class);

    /** Where the hook sits among the instance's pfil hooks. */
    static final int PFIL_ORDER = 1000;

    static final String SYSCTL_SENDSPACE = "net.inet.divert.sendspace";
    static final String SYSCTL_RECVSPACE = "net.inet.divert.recvspace";
    /** FreeBSD's div_sendspace/div_recvspace: a largest IP datagram and a little. */
    static final int DEFAULT_SPACE = 65536 + 100;

    /** First port bind(0) hands out, as the IANA dynamic range starts. */
    private static final int EPHEMERAL_FIRST = 49152;

    private static final DivertPcb[] NONE = new DivertPcb[0];

    private final ProtoContext ctx;
    private final DivertRules rules;
    private final RuleTable table;
    private final DivertStats stats = new DivertStats();
    private final List<Tunable> tunables = new ArrayList<>();
    private final Object bindLock = new Object();
    /** Bound sockets, copy on write: read by the hook without a lock. */
    private volatile DivertPcb[] bound = NONE;
    private volatile long lastErrorLog;
    private Tunable sendspace;
    private Tunable recvspace;
    private Registration hook;

    private DivertProtocol(ProtoContext ctx, DivertRules rules) {
        this.ctx = ctx;
        this.rules = rules;
        this.table = rules.attach(ctx.vnet());
    }

    /** {@code div_init} for one stack instance: tunables and the pfil hook on both directions. */
    static DivertProtocol init(ProtoContext ctx, DivertRules rules) throws SocketException {
        DivertProtocol div = new DivertProtocol(ctx, rules);
        try {
            div.sendspace = div.tunable(SYSCTL_SENDSPACE, DEFAULT_SPACE, "send buffer of new divert sockets");
            div.recvspace = div.tunable(SYSCTL_RECVSPACE, DEFAULT_SPACE, "receive buffer of new divert sockets");
            div.hook = ctx.pfil().addHook("divert", Pfil.IN | Pfil.OUT, PFIL_ORDER, div::check);
        } catch (IllegalArgumentException e) {
            div.destroy();
            throw new SocketException(Errno.EEXIST, "divert init in " + ctx.vnet() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            div.destroy();
            throw e;
        }
        return div;
    }

    private Tunable tunable(String name, long def, String description) {
        Tunable t = ctx.sysctl().register(name, def, 1, 16 * 1024 * 1024, description);
        tunables.add(t);
        return t;
    }

    ProtoContext context() {
        return ctx;
    }

    DivertStats stats() {
        return stats;
    }

    @Override
    public Pcb attach(ProtoSocket so) throws SocketException {
        int proto = so.protocol();
        if (proto != 0 && proto != IPPROTO_DIVERT) {
            throw new SocketException(Errno.EPROTONOSUPPORT, "divert sockets take protocol 0 or IPPROTO_DIVERT (" + IPPROTO_DIVERT + "), got " + proto);
        }
        so.soreserve(sendspace.getInt(), recvspace.getInt());
        return new DivertPcb(this, so);
    }

    // ---- divert ports -------------------------------------------------------------

    /** Binds {@code pcb} to {@code port}, or to a free port when 0; returns the port. */
    int bind(DivertPcb pcb, int port) throws SocketException {
        synchronized (bindLock) {
            DivertPcb[] cur = bound;
            if (port == 0) {
                port = freePort(cur);
            } else if (lookup(cur, port) != null) {
                throw new SocketException(Errno.EADDRINUSE, "bind: divert port " + port + " is in use");
            }
            pcb.setPort(port);
            DivertPcb[] next = Arrays.copyOf(cur, cur.length + 1);
            next[cur.length] = pcb;
            bound = next;
            return port;
        }
    }

    void unbind(DivertPcb pcb) {
        synchronized (bindLock) {
            DivertPcb[] cur = bound;
            for (int k = 0; k < cur.length; k++) {
                if (cur[k] == pcb) {
                    DivertPcb[] next = new DivertPcb[cur.length - 1];
                    System.arraycopy(cur, 0, next, 0, k);
                    System.arraycopy(cur, k + 1, next, k, cur.length - k - 1);
                    bound = next;
                    return;
                }
            }
        }
    }

    private static int freePort(DivertPcb[] cur) throws SocketException {
        for (int p = EPHEMERAL_FIRST; p <= 65535; p++) {
            if (lookup(cur, p) == null) {
                return p;
            }
        }
        throw new SocketException(Errno.EADDRNOTAVAIL, "bind: no free divert port");
    }

    private static DivertPcb lookup(DivertPcb[] cur, int port) {
        for (DivertPcb pcb : cur) {
            if (pcb.port() == port) {
                return pcb;
            }
        }
        return null;
    }

    // ---- the hook -----------------------------------------------------------------

    /**
     * The pfil hook: evaluates the rules in number order (after the rule a re-injected
     * packet was diverted by) and diverts or tees the first match. Never throws.
     */
    private int check(Packet p, int direction, IfNet ifp) {
        int after = 0;
        if (p.tag() instanceof DivertTag t) {
            after = t.rule();
            p.setTag(null);
        }
        Rule[] rs = table.rules();
        if (rs.length == 0) {
            return PfilHook.PASS;
        }
        try {
            return filter(p, direction, ifp, after, rs);
        } catch (RuntimeException e) {
            stats.errors.increment();
            long now = System.nanoTime();
            if (now - lastErrorLog > 1_000_000_000L) {
                lastErrorLog = now;
                LOG.warn("divert in {} dropped a packet after an internal error", ctx.vnet(), e);
            }
            return PfilHook.DROP;
        }
    }

    private int filter(Packet p, int direction, IfNet ifp, int after, Rule[] rs) {
        int len = p.length();
        if (len < Ipv4Header.MIN_LENGTH) {
            return PfilHook.PASS;
        }
        int hlen = (p.get8(Ipv4Header.OFF_VHL) & 0xf) << 2;
        if (hlen < Ipv4Header.MIN_LENGTH || hlen > len) {
            return PfilHook.PASS;
        }
        if (direction == Pfil.OUT && ifp == null) {
            // re-injected outbound: the route says where it will leave
            ifp = outputInterface(p.get32(Ipv4Header.OFF_DST));
        }
        if (direction == Pfil.IN && (p.get16(Ipv4Header.OFF_FRAG) & (Ipv4Header.FLAG_MF | Ipv4Header.OFFMASK)) != 0) {
            return fragment(p, hlen, ifp, after, rs);
        }
        Rule r = firstMatch(rs, p, hlen, direction, ifp, after, false);
        return r == null ? PfilHook.PASS : apply(r, p, direction, ifp);
    }

    /**
     * An inbound fragment that a rule may match once whole: reassemble first (as
     * {@code ipfw_divert} does), then evaluate the whole datagram. A whole datagram that is
     * not diverted goes on through the hooks after this one.
     */
    private int fragment(Packet p, int hlen, IfNet ifp, int after, Rule[] rs) {
        if (firstMatch(rs, p, hlen, Pfil.IN, ifp, after, true) == null) {
            return PfilHook.PASS;
        }
        Packet whole = ctx.pfil().reassemble(p);
        if (whole == null) {
            return PfilHook.CONSUMED;
        }
        int wlen = (whole.get8(Ipv4Header.OFF_VHL) & 0xf) << 2;
        Rule r = firstMatch(rs, whole, wlen, Pfil.IN, ifp, after, false);
        if (r != null && apply(r, whole, Pfil.IN, ifp) == PfilHook.CONSUMED) {
            return PfilHook.CONSUMED;
        }
        ctx.pfil().reinject(whole, Pfil.IN, ifp, PFIL_ORDER);
        return PfilHook.CONSUMED;
    }

    private static Rule firstMatch(Rule[] rs, Packet p, int hlen, int direction, IfNet ifp, int after, boolean ignorePorts) {
        for (Rule r : rs) {
            if (r.number > after && r.matches(p, hlen, direction, ifp, ignorePorts)) {
                return r;
            }
        }
        return null;
    }

    /** The matching rule's action: divert consumes the packet, tee sends a copy and lets it pass. */
    private int apply(Rule r, Packet p, int direction, IfNet ifp) {
        r.count(p.length());
        if (r.action == Rule.Action.TEE) {
            if (divertPacket(r, p.copy(), direction, ifp)) {
                stats.teed.increment();
            }
            return PfilHook.PASS;
        }
        if (divertPacket(r, p, direction, ifp)) {
            (direction == Pfil.IN ? stats.divertedIn : stats.divertedOut).increment();
        }
        return PfilHook.CONSUMED;
    }

    /**
     * {@code divert_packet}: queues the whole packet to the socket bound to the rule's port,
     * with the rule number as the address's port. No socket there: dropped and counted.
     */
    private boolean divertPacket(Rule r, Packet p, int direction, IfNet ifp) {
        DivertPcb pcb = lookup(bound, r.divertPort);
        if (pcb == null) {
            stats.noport.increment();
            return false;
        }
        p.setTag(null);
        if (!pcb.deliver(p, r.number, direction == Pfil.IN ? ifp : null)) {
            stats.fullsock.increment();
            return false;
        }
        return true;
    }

    private IfNet outputInterface(int dst) {
        if (ctx.isLocalAddress(dst)) {
            for (IfNet i : ctx.interfaces()) {
                if (i.isLoopback()) {
                    return i;
                }
            }
        }
        Route rt = ctx.routeLookup(dst);
        return rt == null ? null : rt.ifp();
    }

    // ---- re-injection (div_output) ------------------------------------------------

    /**
     * Outbound: the header checksum is recomputed (the application may have changed the
     * header) and the packet goes on after rule {@code rule} and then to ip_output's route
     * and interface.
     */
    void reinjectOut(Packet p, int rule) {
        new Ipv4Header(p.array(), p.offset(), p.length()).fillChecksum();
        p.setTag(rule > 0 ? new DivertTag(rule) : null);
        stats.reinjectedOut.increment();
        ctx.pfil().reinject(p, Pfil.OUT, null, PFIL_ORDER - 1);
    }

    /**
     * Inbound as received on the interface holding {@code addr}; a packet whose header
     * checksum is wrong is dropped and counted, as ip_input would.
     *
     * @throws SocketException EADDRNOTAVAIL when no interface has {@code addr}
     */
    void reinjectIn(Packet p, int addr, int rule) throws SocketException {
        IfNet ifp = interfaceWith(addr);
        if (ifp == null) {
            throw new SocketException(Errno.EADDRNOTAVAIL, "sendto " + new InAddr(addr) + ": no interface of vnet " + ctx.vnet() + " has that address");
        }
        if (!new Ipv4Header(p.array(), p.offset(), p.length()).checksumValid()) {
            stats.badsum.increment();
            return;
        }
        p.setRcvif(ifp);
        p.setTag(rule > 0 ? new DivertTag(rule) : null);
        stats.reinjectedIn.increment();
        ctx.pfil().reinject(p, Pfil.IN, ifp, PFIL_ORDER - 1);
    }

    private IfNet interfaceWith(int addr) {
        for (IfNet i : ctx.interfaces()) {
            for (IfAddr a : i.addresses()) {
                if (a.addr().bits() == addr) {
                    return i;
                }
            }
        }
        return null;
    }

    // ---- live upgrade (DivertTransfer) -------------------------------------------------

    /**
     * The instance's state beside its pcbs: counters, the space of new sockets, the error-log
     * clock, and the counters of each rule with the rule's words and the rule set they
     * belong to (the rules themselves come back from the store).
     */
    Map<String, Object> exportState() {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("stats", stats.exportState());
        m.put("sendspace", sendspace.get());
        m.put("recvspace", recvspace.get());
        m.put("lastErrorLog", lastErrorLog);
        m.put("ruleSet", rules.id());
        List<Object> rs = new ArrayList<>();
        for (Rule r : table.rules()) {
            Map<String, Object> e = new java.util.LinkedHashMap<>();
            e.put("number", r.number);
            e.put("body", r.body());
            e.put("packets", r.packets.sum());
            e.put("bytes", r.bytes.sum());
            rs.add(e);
        }
        m.put("rules", rs);
        return m;
    }

    /**
     * Takes what {@link #exportState} wrote, every value checked before anything changes. A
     * rule's counters go to the rule of the same number and words in this instance's table;
     * when the table is the very rule set the old revision counted in (same {@code ruleSet}),
     * they are there already. A rule the store no longer has, or has with other words, keeps
     * no counters.
     */
    void importState(Map<String, Object> m) throws SocketException {
        Map<String, Object> st = DivertTransfer.map(m, "stats", null);
        long snd = space(m, "sendspace", sendspace);
        long rcv = space(m, "recvspace", recvspace);
        long errorLog = DivertTransfer.longValue(m, "lastErrorLog", null);
        String ruleSet = DivertTransfer.string(m, "ruleSet", null);
        List<?> rs = DivertTransfer.list(m, "rules", null);
        List<long[]> counts = new ArrayList<>();
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < rs.size(); i++) {
            Map<String, Object> e = DivertTransfer.element(rs, i, "rules");
            String where = "rules[" + i + "]";
            int number = DivertTransfer.integer(e, "number", where);
            long packets = DivertTransfer.longValue(e, "packets", where);
            long bytes = DivertTransfer.longValue(e, "bytes", where);
            if (packets < 0 || bytes < 0) {
                throw DivertTransfer.bad(where + " (negative counters " + packets + ", " + bytes + ")");
            }
            bodies.add(DivertTransfer.string(e, "body", where));
            counts.add(new long[] {number, packets, bytes});
        }
        stats.restore(st);
        if (sendspace.get() != snd) {
            sendspace.set(snd);
        }
        if (recvspace.get() != rcv) {
            recvspace.set(rcv);
        }
        lastErrorLog = errorLog;
        if (ruleSet.equals(rules.id())) {
            return;
        }
        Rule[] cur = table.rules();
        for (int i = 0; i < counts.size(); i++) {
            long[] c = counts.get(i);
            for (Rule r : cur) {
                if (r.number == c[0] && r.body().equals(bodies.get(i))) {
                    r.packets.add(c[1]);
                    r.bytes.add(c[2]);
                }
            }
        }
    }

    private static long space(Map<String, Object> m, String key, Tunable t) throws SocketException {
        long v = DivertTransfer.longValue(m, key, null);
        if (v < t.min() || v > t.max()) {
            throw DivertTransfer.bad(key + " (" + v + ", outside " + t.min() + ".." + t.max() + ")");
        }
        return v;
    }

    @Override
    public Map<String, Long> statistics() {
        return stats.snapshot();
    }

    @Override
    public void destroy() {
        if (hook != null) {
            hook.close();
        }
        // after an export the pcbs stayed bound until now (DivertPcb.detach): let them go
        synchronized (bindLock) {
            bound = NONE;
        }
        for (Tunable t : tunables) {
            t.close();
        }
        tunables.clear();
        rules.detach(ctx.vnet());
    }
}
