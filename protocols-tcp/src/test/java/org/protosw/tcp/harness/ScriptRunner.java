package org.protosw.tcp.harness;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

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
import org.protosw.tcp.internal.TcpProtoSw;
import org.protosw.wire.Ipv4Header;
import org.protosw.wire.TcpHeader;
import org.protosw.wire.TcpOptions;

/**
 * Runs a segment script against a real stack with TCP loaded, whose interface
 * {@code harness0} (192.0.2.1/24) the script drives: inbound segments come from 192.0.2.2,
 * outbound ones are checked field by field, in order and on time. Any segment the stack
 * sends that the script did not expect fails the run, as in packetdrill.
 *
 * <p>Besides the TCP fields the script states, every outbound segment is checked for what
 * the script cannot get wrong by omission: the IP header's addresses, TTL ({@code ttl N}
 * changes the expected value, 64 by default as {@code net.inet.ip.ttl}) and checksum, the
 * TCP checksum, and the payload: {@code write} sends a pattern that continues along the
 * stream ({@code 'A' + offset % 26}), so the bytes a segment carries follow from its sequence
 * numbers, retransmissions included. Likewise the script's data carry {@code 'a' + seq % 26},
 * and {@code read} checks the bytes it got against that.
 */
final class ScriptRunner implements AutoCloseable {
    static final InAddr LOCAL = InAddr.of(192, 0, 2, 1);
    static final InAddr REMOTE = InAddr.of(192, 0, 2, 2);

    private final StandaloneStack stack;
    private final Vnet vnet;
    private final HarnessLink link;
    private final ExecutorService app = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, Socket> sockets = new HashMap<>();
    private final Map<String, Future<Object>> pending = new HashMap<>();
    private final List<String> log = new ArrayList<>();

    private double tolerance = 0.025;
    private long start;
    /** When the previous event happened (nanoTime): relative times count from here. */
    private long lastEvent;
    /**
     * When the previous event began: a call's start, else {@link #lastEvent}. A segment the
     * stack sends during a call (a write's data) may come before the call returns, which on a
     * loaded machine can be long after it began.
     */
    private long lastEventBegan;
    private int localPort;
    private int remotePort = 9999;
    private Long localIsn;
    private final long remoteIsn = ThreadLocalRandom.current().nextLong(1L << 32);
    private long lastStackTsVal;
    private int expectedTtl = 64;
    /** Bytes each socket has written and read so far: where the stream patterns continue. */
    private final Map<String, long[]> streamOffsets = new HashMap<>();

    ScriptRunner() throws Exception {
        stack = new StandaloneStack();
        stack.register(TcpProtoSw.standalone(), TcpProtoSw.PROPERTIES, "org.protosw.tcp (harness)");
        vnet = stack.stack();
        link = new HarnessLink("harness0", 1500);
        vnet.attachInterface(link);
        vnet.addAddress(link, new IfAddr(LOCAL, 24, InAddr.of(192, 0, 2, 255)));
    }

    /** Runs the script; throws AssertionError naming the line and what differed. */
    void run(String script) throws Exception {
        List<Step> steps = ScriptParser.parse(script);
        start = System.nanoTime();
        lastEvent = start;
        lastEventBegan = start;
        for (Step s : steps) {
            try {
                switch (s) {
                    case Step.Inject in -> {
                        sleepUntil(deadline(in.when(), false));
                        noUnexpected(s.line());
                        lastEvent = injectAndSettle(encode(in.segment()));
                        lastEventBegan = lastEvent;
                        log.add(String.format("%8.3f < %s", now(), in.segment()));
                    }
                    case Step.Expect ex -> expect(ex);
                    case Step.Quiet q -> {
                        sleepUntil(deadline(q.when(), false));
                        noUnexpected(s.line());
                        lastEvent = System.nanoTime();
                        lastEventBegan = lastEvent;
                    }
                    case Step.Call c -> {
                        sleepUntil(deadline(c.when(), false));
                        if (!c.verb().equals("await")) {
                            noUnexpected(s.line());
                        }
                        long began = System.nanoTime();
                        call(c);
                        lastEvent = System.nanoTime();
                        lastEventBegan = began;
                    }
                }
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "\n--- what happened ---\n" + String.join("\n", log), e);
            }
        }
        Thread.sleep(5);
        noUnexpected(steps.isEmpty() ? 0 : steps.get(steps.size() - 1).line());
    }

    private double now() {
        return (System.nanoTime() - start) / 1e9;
    }

    /** The nanoTime of a step's earliest (or latest) moment. */
    private long deadline(Step.When w, boolean latest) {
        long base = w.relative() ? lastEvent : start;
        return base + (long) ((latest ? w.until() : w.at()) * 1e9);
    }

    private void sleepUntil(long target) throws InterruptedException {
        long wait = target - System.nanoTime();
        if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
        }
    }

    private void noUnexpected(int line) {
        HarnessLink.Sent extra = link.peek();
        if (extra != null) {
            throw new AssertionError("line " + line + ": the stack sent an unexpected segment at "
                    + String.format("%.3f", (extra.nanos() - start) / 1e9) + " s: " + describe(decode(extra.bytes(), false)));
        }
    }

    // ---- expectations ----------------------------------------------------------------

    private void expect(Step.Expect ex) throws InterruptedException {
        long tol = (long) (tolerance * 1e9);
        Step.When w = ex.when();
        long earliest = (w.relative() ? lastEventBegan + (long) (w.at() * 1e9) : deadline(w, false)) - tol;
        long latest = deadline(ex.when(), true) + tol;
        HarnessLink.Sent got = link.next(Math.max(0, latest - System.nanoTime()));
        if (got == null) {
            throw new AssertionError("line " + ex.line() + ": expected " + ex.segment() + " by " + fmt((latest - start) / 1e9)
                    + " s, the stack sent nothing");
        }
        Decoded d = decode(got.bytes(), true);
        double when = (got.nanos() - start) / 1e9;
        log.add(String.format("%8.3f > %s", when, describe(d)));
        if (got.nanos() < earliest) {
            throw new AssertionError("line " + ex.line() + ": " + describe(d) + " came at " + fmt(when) + " s, expected not before "
                    + fmt((earliest - start) / 1e9) + " s (tolerance " + tolerance + " s)");
        }
        lastEvent = got.nanos();
        lastEventBegan = lastEvent;
        String diff = compare(ex.segment(), d);
        if (diff != null) {
            throw new AssertionError("line " + ex.line() + ": expected " + ex.segment() + " but the stack sent " + describe(d) + " (" + diff + ")");
        }
    }

    private static String fmt(double t) {
        return String.format("%.3f", t);
    }

    /** A segment the stack sent, seq/ack made relative, with what its IP header said. */
    private record Decoded(int sport, int dport, int flags, long seq, long ack, int win, int len, List<ScriptSegment.Option> options,
            byte[] payload, int ttl, int src, int dst, String error) {
    }

    private static Decoded broken(String why) {
        return new Decoded(0, 0, 0, 0, 0, 0, 0, List.of(), new byte[0], 0, 0, 0, why);
    }

    private Decoded decode(byte[] b, boolean learn) {
        if (Ipv4Header.check(b, 0, b.length) != org.protosw.wire.WireStatus.OK || (b[9] & 0xff) != 6) {
            return broken("not a TCP/IPv4 packet");
        }
        Ipv4Header ip = new Ipv4Header(b, 0, b.length);
        int hlen = ip.headerLength();
        int total = ip.totalLength();
        if (total != b.length) {
            return broken("IP total length " + total + " but the packet has " + b.length + " bytes");
        }
        TcpHeader th = new TcpHeader(b, hlen, total - hlen);
        if (th.check() != org.protosw.wire.WireStatus.OK) {
            return broken("malformed TCP header: " + th.check());
        }
        int src = (int) u32(b, 12);
        int dst = (int) u32(b, 16);
        String error = !ip.checksumValid() ? "bad IP header checksum" : th.checksumValid(src, dst) ? null : "bad TCP checksum";
        long seq = th.seq() & 0xffffffffL;
        if (learn && localIsn == null && th.has(TcpHeader.SYN)) {
            localIsn = seq;
        }
        if (learn && localPort == 0) {
            localPort = th.srcPort();
        }
        List<ScriptSegment.Option> opts = new ArrayList<>();
        String bad = options(b, hlen + 20, hlen + th.headerLength(), opts, learn);
        if (bad != null && error == null) {
            error = bad;
        }
        // before the stack has sent a SYN its numbers are absolute (RSTs to strays)
        long base = localIsn != null ? localIsn : 0;
        byte[] payload = new byte[th.payloadLength()];
        System.arraycopy(b, hlen + th.headerLength(), payload, 0, payload.length);
        return new Decoded(th.srcPort(), th.dstPort(), th.flags() & 0xff, rel((int) seq, base), rel(th.ack(), remoteIsn),
                th.window(), th.payloadLength(), opts, payload, ip.ttl(), src, dst, error);
    }

    /**
     * The options as they lie in the header, NOP and EOL included, so a script states their
     * layout; read byte by byte here rather than with the stack's own {@link TcpOptions}, so
     * the check does not share a parser with the code it checks. Returns what was malformed.
     */
    private String options(byte[] b, int from, int end, List<ScriptSegment.Option> out, boolean learn) {
        int p = from;
        while (p < end) {
            int kind = b[p] & 0xff;
            if (kind == TcpOptions.KIND_EOL) {
                out.add(new ScriptSegment.Option("eol", null, null));
                for (int q = p; q < end; q++) {
                    if (b[q] != 0) {
                        return "bytes after EOL in the options";
                    }
                }
                return null;
            }
            if (kind == TcpOptions.KIND_NOP) {
                out.add(new ScriptSegment.Option("nop", null, null));
                p++;
                continue;
            }
            int len = p + 1 < end ? b[p + 1] & 0xff : 0;
            if (len < 2 || p + len > end) {
                return "malformed TCP option of kind " + kind + " at byte " + (p - from);
            }
            int want = switch (kind) {
                case TcpOptions.KIND_MSS -> 4;
                case TcpOptions.KIND_WINDOW_SCALE -> 3;
                case TcpOptions.KIND_SACK_PERMITTED -> 2;
                case TcpOptions.KIND_TIMESTAMP -> 10;
                case TcpOptions.KIND_SACK -> (len - 2) % 8 == 0 && len > 2 ? len : -1;
                default -> len;
            };
            if (len != want) {
                return "TCP option of kind " + kind + " with length " + len;
            }
            switch (kind) {
                case TcpOptions.KIND_MSS -> out.add(new ScriptSegment.Option("mss", (long) ((b[p + 2] & 0xff) << 8 | (b[p + 3] & 0xff)), null));
                case TcpOptions.KIND_WINDOW_SCALE -> out.add(new ScriptSegment.Option("wscale", (long) (b[p + 2] & 0xff), null));
                case TcpOptions.KIND_SACK_PERMITTED -> out.add(new ScriptSegment.Option("sackOK", null, null));
                case TcpOptions.KIND_TIMESTAMP -> {
                    long val = u32(b, p + 2);
                    if (learn) {
                        lastStackTsVal = val;
                    }
                    out.add(new ScriptSegment.Option("TS", val, u32(b, p + 6)));
                }
                case TcpOptions.KIND_SACK -> {
                    for (int i = p + 2; i < p + len; i += 8) {
                        out.add(new ScriptSegment.Option("sack", rel((int) u32(b, i), remoteIsn), rel((int) u32(b, i + 4), remoteIsn)));
                    }
                }
                default -> out.add(new ScriptSegment.Option("kind" + kind, null, null));
            }
            p += len;
        }
        return null;
    }

    private static long rel(int abs, long isn) {
        return (abs - isn) & 0xffffffffL;
    }

    private String describe(Decoded d) {
        if (d.error() != null && d.flags() == 0) {
            return d.error();
        }
        StringBuilder sb = new StringBuilder(ScriptSegment.flagString(d.flags())).append(' ')
                .append(d.seq()).append(':').append(d.seq() + d.len()).append('(').append(d.len()).append(')');
        if ((d.flags() & TcpHeader.ACK) != 0) {
            sb.append(" ack ").append(d.ack());
        }
        sb.append(" win ").append(d.win());
        if (d.ttl() != expectedTtl) {
            sb.append(" ttl ").append(d.ttl());
        }
        if (!d.options().isEmpty()) {
            List<String> o = new ArrayList<>();
            d.options().forEach(x -> o.add(x.toString()));
            sb.append(" <").append(String.join(",", o)).append('>');
        }
        if (d.error() != null) {
            sb.append(" [").append(d.error()).append(']');
        }
        return sb.toString();
    }

    private String compare(ScriptSegment want, Decoded got) {
        if (got.error() != null) {
            return got.error();
        }
        if (got.src() != LOCAL.bits() || got.dst() != REMOTE.bits()) {
            return "IP addresses " + new InAddr(got.src()) + " > " + new InAddr(got.dst()) + ", expected " + LOCAL + " > " + REMOTE;
        }
        if (got.ttl() != expectedTtl) {
            return "IP TTL " + got.ttl() + ", expected " + expectedTtl;
        }
        if (got.dport() != remotePort || got.sport() != localPort) {
            return "ports " + got.sport() + ">" + got.dport() + ", expected " + localPort + ">" + remotePort;
        }
        if (got.flags() != want.flags()) {
            return "flags " + flagName(got.flags()) + ", expected " + flagName(want.flags());
        }
        if (got.seq() != (want.seq() & 0xffffffffL) || got.len() != want.len()) {
            return "sequence " + got.seq() + ":" + (got.seq() + got.len()) + "(" + got.len() + "), expected "
                    + want.seq() + ":" + (want.seq() + want.len()) + "(" + want.len() + ")";
        }
        if (want.ack() != null && got.ack() != (want.ack() & 0xffffffffL)) {
            return "ack " + got.ack() + ", expected " + want.ack();
        }
        if (want.win() != null && got.win() != want.win()) {
            return "window " + got.win() + ", expected " + want.win();
        }
        if (want.options() != null) {
            // NOP and EOL too: the layout is part of what the stack puts on the wire
            List<ScriptSegment.Option> wo = want.options();
            List<ScriptSegment.Option> go = got.options();
            for (int i = 0; i < Math.max(wo.size(), go.size()); i++) {
                ScriptSegment.Option w = i < wo.size() ? wo.get(i) : null;
                ScriptSegment.Option g = i < go.size() ? go.get(i) : null;
                if (w == null || g == null || !w.kind().equals(g.kind()) || (w.a() != null && !w.a().equals(g.a()))
                        || (w.b() != null && !w.b().equals(g.b()))) {
                    return "option " + (i + 1) + " is " + (g == null ? "missing" : "'" + g + "'") + ", expected "
                            + (w == null ? "none" : "'" + w + "'");
                }
            }
        }
        // the data written so far, at the offsets the segment's sequence numbers name
        return payloadDiff(got.payload(), (want.flags() & TcpHeader.SYN) != 0 ? 0 : got.seq() - 1);
    }

    /**
     * Where {@code payload}, found at stream offset {@code first}, differs from the pattern
     * {@code write} sends ({@code 'A' + offset % 26}); null when it does not.
     */
    static String payloadDiff(byte[] payload, long first) {
        for (int i = 0; i < payload.length; i++) {
            byte w = (byte) ('A' + Math.floorMod(first + i, 26));
            if (payload[i] != w) {
                return "payload byte " + i + " (stream offset " + (first + i) + ") is " + (payload[i] & 0xff) + ", expected '" + (char) w
                        + "' as written";
            }
        }
        return null;
    }

    private static String flagName(int f) {
        String s = ScriptSegment.flagString(f);
        return s.isEmpty() ? "(none)" : s;
    }

    // ---- inbound segments --------------------------------------------------------------

    /**
     * Hands a segment to the stack and waits until its input worker has processed it, so
     * a state check on the next line sees its effect (input runs on the stack's threads).
     */
    private long injectAndSettle(byte[] packet) throws InterruptedException {
        long before = vnet.netisr().handledTotal();
        long at = System.nanoTime();
        link.inject(packet);
        long deadline = System.nanoTime() + 1_000_000_000L;
        while (vnet.netisr().handledTotal() <= before && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        return at;
    }

    private byte[] encode(ScriptSegment s) {
        if (localPort == 0) {
            throw new AssertionError("line " + s.line() + ": no local port yet (bind first, or let the stack send its SYN)");
        }
        byte[] opts = encodeOptions(s);
        int thlen = 20 + opts.length;
        int total = 20 + thlen + s.len();
        byte[] b = new byte[total];
        Ipv4Header.write(b, 0, 0, total, 0, Ipv4Header.FLAG_DF, 64, 6, REMOTE.bits(), LOCAL.bits());
        TcpHeader th = new TcpHeader(b, 20, thlen + s.len());
        th.setSrcPort(remotePort).setDstPort(localPort).setSeq((int) (remoteIsn + s.seq()))
                .setHeaderLength(thlen).setFlags(s.flags());
        if (s.ack() != null) {
            // before the stack has sent a SYN, acks are absolute (segments to nowhere)
            th.setAck((int) ((localIsn == null ? 0 : localIsn) + s.ack()));
        }
        setWindow(b, 20, s.win() == null ? 65535 : s.win());
        System.arraycopy(opts, 0, b, 40, opts.length);
        for (int i = 0; i < s.len(); i++) {
            b[20 + thlen + i] = (byte) ('a' + (int) ((s.seq() + i) % 26));
        }
        th.fillChecksum(REMOTE.bits(), LOCAL.bits());
        return b;
    }

    private static void setWindow(byte[] b, int off, int win) {
        b[off + TcpHeader.OFF_WINDOW] = (byte) (win >>> 8);
        b[off + TcpHeader.OFF_WINDOW + 1] = (byte) win;
    }

    private byte[] encodeOptions(ScriptSegment s) {
        if (s.options() == null) {
            return new byte[0];
        }
        ByteBuffer bb = ByteBuffer.allocate(40);
        List<ScriptSegment.Option> sacks = new ArrayList<>();
        for (ScriptSegment.Option o : s.options()) {
            if (!o.kind().equals("sack") && !sacks.isEmpty()) {
                putSack(bb, sacks);
            }
            switch (o.kind()) {
                case "nop" -> bb.put((byte) 1);
                case "eol" -> bb.put((byte) 0);
                case "mss" -> bb.put((byte) 2).put((byte) 4).putShort((short) (long) o.a());
                case "wscale" -> bb.put((byte) 3).put((byte) 3).put((byte) (long) o.a());
                case "sackOK" -> bb.put((byte) 4).put((byte) 2);
                case "TS" -> bb.put((byte) 8).put((byte) 10).putInt((int) (long) o.a())
                        .putInt((int) (o.b() == null ? lastStackTsVal : o.b()));
                case "sack" -> sacks.add(o);
                default -> throw new AssertionError("line " + s.line() + ": cannot send option " + o.kind());
            }
        }
        if (!sacks.isEmpty()) {
            putSack(bb, sacks);
        }
        while (bb.position() % 4 != 0) {
            bb.put((byte) 0);
        }
        byte[] out = new byte[bb.position()];
        bb.flip().get(out);
        return out;
    }

    private void putSack(ByteBuffer bb, List<ScriptSegment.Option> sacks) {
        bb.put((byte) 5).put((byte) (2 + 8 * sacks.size()));
        for (ScriptSegment.Option o : sacks) {
            bb.putInt((int) (localIsn + o.a())).putInt((int) (localIsn + o.b()));
        }
        sacks.clear();
    }

    private static long u32(byte[] b, int i) {
        return ((b[i] & 0xffL) << 24) | ((b[i + 1] & 0xff) << 16) | ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
    }

    // ---- socket calls ------------------------------------------------------------------

    private void call(Step.Call c) throws Exception {
        switch (c.verb()) {
            case "ttl" -> {
                expectedTtl = Integer.parseInt(arg(c, 0));
                return;
            }
            case "tolerance" -> {
                tolerance = Double.parseDouble(arg(c, 0));
                return;
            }
            case "remote_port" -> {
                remotePort = Integer.parseInt(arg(c, 0));
                return;
            }
            case "mtu" -> {
                link.setMtu(Integer.parseInt(arg(c, 0)));
                return;
            }
            case "local_port" -> {
                localPort = Integer.parseInt(arg(c, 0));
                return;
            }
            case "sysctl" -> {
                vnet.sysctl().find(arg(c, 0)).set(Long.parseLong(arg(c, 1)));
                return;
            }
            case "await" -> {
                Future<Object> f = pending.remove(arg(c, 0));
                if (f == null) {
                    throw new AssertionError("line " + c.line() + ": no call of " + arg(c, 0) + " is pending");
                }
                check(c, outcome(c, f));
                return;
            }
            default -> {
            }
        }
        Future<Object> f = app.submit(() -> perform(c));
        if (c.async()) {
            pending.put(arg(c, 0), f);
            log.add(String.format("%8.3f   %s %s &", now(), c.verb(), String.join(" ", c.args())));
            return;
        }
        Object result = outcome(c, f);
        log.add(String.format("%8.3f   %s %s = %s", now(), c.verb(), String.join(" ", c.args()), result));
        check(c, result);
    }

    private Object outcome(Step.Call c, Future<Object> f) throws InterruptedException {
        try {
            return f.get(5, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new AssertionError("line " + c.line() + ": " + c.verb() + " " + String.join(" ", c.args()) + " still blocked after 5 s");
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof SocketException se) {
                return se.errno();
            }
            throw new AssertionError("line " + c.line() + ": " + c.verb() + " failed: " + e.getCause(), e.getCause());
        }
    }

    private static void check(Step.Call c, Object result) {
        String want = c.expect();
        if (want == null) {
            if (result instanceof Errno e) {
                throw new AssertionError("line " + c.line() + ": " + c.verb() + " " + String.join(" ", c.args()) + " failed with " + e);
            }
            return;
        }
        String got = result instanceof Errno e ? e.name() : String.valueOf(result);
        if (!want.equals(got)) {
            throw new AssertionError("line " + c.line() + ": " + c.verb() + " " + String.join(" ", c.args()) + " = " + got + ", expected " + want);
        }
    }

    private static String arg(Step.Call c, int i) {
        if (i >= c.args().size()) {
            throw new AssertionError("line " + c.line() + ": " + c.verb() + " needs " + (i + 1) + " argument(s)");
        }
        return c.args().get(i);
    }

    private Socket so(Step.Call c) {
        Socket s = sockets.get(arg(c, 0));
        if (s == null) {
            throw new AssertionError("line " + c.line() + ": no socket named " + arg(c, 0));
        }
        return s;
    }

    /** {written, read} so far on the socket the call names. */
    private long[] offsets(Step.Call c) {
        synchronized (streamOffsets) {
            return streamOffsets.computeIfAbsent(arg(c, 0), k -> new long[2]);
        }
    }

    private Object perform(Step.Call c) throws SocketException {
        switch (c.verb()) {
            case "socket" -> {
                sockets.put(arg(c, 0), vnet.socket(SocketConstants.AF_INET, SocketConstants.SOCK_STREAM, SocketConstants.IPPROTO_TCP));
                return 0;
            }
            case "bind" -> {
                int port = Integer.parseInt(arg(c, 1));
                so(c).bind(new InetSockAddr(LOCAL, port));
                localPort = ((InetSockAddr) so(c).localAddress()).port();
                return 0;
            }
            case "listen" -> {
                so(c).listen(Integer.parseInt(arg(c, 1)));
                return 0;
            }
            case "accept" -> {
                sockets.put(arg(c, 1), so(c).accept());
                return 0;
            }
            case "connect" -> {
                remotePort = Integer.parseInt(arg(c, 1));
                so(c).connect(new InetSockAddr(REMOTE, remotePort));
                return 0;
            }
            case "write" -> {
                int n = Integer.parseInt(arg(c, 1));
                long[] at = offsets(c);
                byte[] data = new byte[n];
                for (int i = 0; i < n; i++) {
                    data[i] = (byte) ('A' + (at[0] + i) % 26);
                }
                ByteBuffer b = ByteBuffer.wrap(data);
                int total = 0;
                while (b.hasRemaining()) {
                    total += so(c).send(b);
                }
                at[0] += total;
                return total;
            }
            case "read" -> {
                int n = Integer.parseInt(arg(c, 1));
                long[] at = offsets(c);
                ByteBuffer b = ByteBuffer.allocate(n);
                while (b.hasRemaining()) {
                    if (so(c).recv(b) == 0) {
                        break;
                    }
                }
                // the script's data carry 'a' + seq % 26, and the first byte is seq 1
                for (int i = 0; i < b.position(); i++) {
                    byte w = (byte) ('a' + (at[1] + 1 + i) % 26);
                    if (b.get(i) != w) {
                        throw new AssertionError("line " + c.line() + ": read " + arg(c, 0) + " got byte " + (b.get(i) & 0xff) + " at stream offset "
                                + (at[1] + i) + ", the peer sent '" + (char) w + "' there");
                    }
                }
                at[1] += b.position();
                return b.position();
            }
            case "shutdown" -> {
                so(c).shutdown(switch (arg(c, 1)) {
                    case "RD" -> SocketConstants.SHUT_RD;
                    case "WR" -> SocketConstants.SHUT_WR;
                    default -> SocketConstants.SHUT_RDWR;
                });
                return 0;
            }
            case "close" -> {
                so(c).close();
                return 0;
            }
            case "setsockopt" -> {
                String opt = arg(c, 1);
                int v = Integer.parseInt(arg(c, 2));
                switch (opt) {
                    case "SO_LINGER" -> so(c).setOption(SockOpt.SO_LINGER, v);
                    case "SO_RCVBUF" -> so(c).setOption(SockOpt.SO_RCVBUF, v);
                    case "SO_SNDBUF" -> so(c).setOption(SockOpt.SO_SNDBUF, v);
                    case "SO_REUSEADDR" -> so(c).setOption(SockOpt.SO_REUSEADDR, v != 0);
                    case "SO_KEEPALIVE" -> so(c).setOption(SockOpt.SO_KEEPALIVE, v != 0);
                    case "TCP_NODELAY" -> so(c).setOption(TcpSockOpts.TCP_NODELAY, v != 0);
                    case "TCP_KEEPIDLE" -> so(c).setOption(TcpSockOpts.TCP_KEEPIDLE, v);
                    case "TCP_KEEPINTVL" -> so(c).setOption(TcpSockOpts.TCP_KEEPINTVL, v);
                    case "TCP_KEEPCNT" -> so(c).setOption(TcpSockOpts.TCP_KEEPCNT, v);
                    case "TCP_MAXSEG" -> so(c).setOption(TcpSockOpts.TCP_MAXSEG, v);
                    default -> throw new AssertionError("line " + c.line() + ": setsockopt " + opt + " is not known to the harness");
                }
                return 0;
            }
            case "getsockopt" -> {
                String opt = arg(c, 1);
                if (!opt.equals("SO_ERROR")) {
                    throw new AssertionError("line " + c.line() + ": getsockopt " + opt + " is not known to the harness");
                }
                int e = so(c).getOption(SockOpt.SO_ERROR);
                for (Errno x : Errno.values()) {
                    if (x.number() == e && e != 0) {
                        return x.name();
                    }
                }
                return e;
            }
            case "state" -> {
                return so(c).getOption(TcpSockOpts.TCP_INFO).state();
            }
            default -> throw new AssertionError("line " + c.line() + ": unknown call '" + c.verb()
                    + "' (accepted: socket bind listen accept connect write read shutdown close setsockopt getsockopt state await sysctl tolerance remote_port local_port mtu ttl)");
        }
    }

    @Override
    public void close() {
        for (Socket s : sockets.values()) {
            s.close();
        }
        app.shutdownNow();
        stack.close();
    }
}
