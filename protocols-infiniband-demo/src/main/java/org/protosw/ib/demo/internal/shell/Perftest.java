package org.protosw.ib.demo.internal.shell;

import static org.protosw.socket.SocketConstants.SOCK_SEQPACKET;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

import org.protosw.ib.demo.IbConstants;
import org.protosw.ib.demo.IbGid;
import org.protosw.ib.demo.IbSockAddr;
import org.protosw.socket.Errno;
import org.protosw.socket.NetStack;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/**
 * The measuring runs of {@code ib:send_bw} and {@code ib:send_lat}, in the manner of
 * perftest's {@code ib_send_bw} and {@code ib_send_lat}: a server side waits on a service ID
 * in one vnet, a client side in another connects to it by GID, they measure, print the
 * result and exit. The client first sends a 16-byte hello (kind, size, iterations), so the
 * server needs no options of its own; given, they must match the client's. Everything goes
 * through the application API ({@code NetStack.socket(AF_IB, ...)}), as a program would use
 * the stack.
 */
final class Perftest {
    /** perftest's default port, used as the service ID. */
    static final long DEFAULT_SID = 18515;
    static final int MAX_SIZE = 1 << 20;
    static final long MAX_BW_ITERS = 1_000_000_000L;
    static final long MAX_LAT_ITERS = 10_000_000L;
    private static final int MAGIC = 0x49425046; // "IBPF"
    private static final int HELLO = 16;
    private static final long SECOND = 1_000_000_000L;
    private static final String LINE = "-".repeat(88);

    enum Kind {
        BW("send_bw", "Send BW Test", 65536, 1000, MAX_BW_ITERS),
        LAT("send_lat", "Send Latency Test", 2, 1000, MAX_LAT_ITERS);

        final String command;
        final String title;
        final int defaultSize;
        final long defaultIters;
        final long maxIters;

        Kind(String command, String title, int defaultSize, long defaultIters, long maxIters) {
            this.command = command;
            this.title = title;
            this.defaultSize = defaultSize;
            this.defaultIters = defaultIters;
            this.maxIters = maxIters;
        }

        String usage() {
            return command + " --server [-j vnet | --vnet vnet] [-p sid] [-c rc|sdp] [-s size] [-n iterations] | " + command
                    + " [-j vnet | --vnet vnet] [-p sid] [-c rc|sdp] [-s size] [-n iterations] GID";
        }

        String help() {
            return "ib:" + command + ": " + title.toLowerCase(Locale.ROOT) + " between two vnets, as perftest's ib_" + command + "\n"
                    + "  ib:" + command + " --server [--vnet A]      wait for one client, measure, print, exit\n"
                    + "  ib:" + command + " [--vnet B] GID           connect to the server at GID (::ffff:a.b.c.d or a.b.c.d)\n"
                    + "  -s size        message size in bytes, 1 to " + MAX_SIZE + " (default " + defaultSize + ")\n"
                    + "  -n iterations  messages" + (this == LAT ? " (round trips)" : "") + ", 1 to " + maxIters + " (default "
                    + defaultIters + ")\n"
                    + "  -p sid         service ID, decimal or 0x hex (default " + DEFAULT_SID + ", perftest's port)\n"
                    + "  -c rc|sdp      SOCK_SEQPACKET on an RC QP (default) or the SDP-like SOCK_STREAM\n"
                    + "  -j/--vnet      the vnet to run in (default: the default vnet)\n"
                    + "  the server takes size and iterations from the client; given, they must match\n"
                    + (this == LAT ? "  latency is half the round trip, as perftest reports it\n" : "");
        }
    }

    record Params(Kind kind, boolean server, String vnet, int size, long iters, boolean sizeGiven, boolean itersGiven, long sid,
            int type, IbGid peer) {
        String typeName() {
            return type == SOCK_STREAM ? "ib-sdp, SOCK_STREAM" : "ib-rc, SOCK_SEQPACKET";
        }
    }

    /** The options of one command line; a bad one fails with one line naming it and what is accepted. */
    static Params parse(Kind kind, String[] argv) {
        Words w = new Words(kind.command, kind.usage(), argv);
        boolean server = false;
        String vnet = null;
        int size = kind.defaultSize;
        long iters = kind.defaultIters;
        boolean sizeGiven = false;
        boolean itersGiven = false;
        long sid = DEFAULT_SID;
        int type = SOCK_SEQPACKET;
        IbGid peer = null;
        while (!w.isEmpty()) {
            String a = w.next("option");
            switch (a) {
                case "--server", "-S" -> server = true;
                case "-j", "--vnet" -> vnet = w.next("vnet name after " + a);
                case "-s", "--size" -> {
                    size = (int) w.number(a, "bytes", 1, MAX_SIZE);
                    sizeGiven = true;
                }
                case "-n", "--iters" -> {
                    iters = w.number(a, "iterations", 1, kind.maxIters);
                    itersGiven = true;
                }
                case "-p", "--port" -> sid = w.number(a, "a service ID", 1, Long.MAX_VALUE);
                case "-c", "--connection" -> {
                    String c = w.next("connection type after " + a);
                    type = switch (c.toLowerCase(Locale.ROOT)) {
                        case "rc", "seqpacket" -> SOCK_SEQPACKET;
                        case "sdp", "stream" -> SOCK_STREAM;
                        default -> throw w.fail("'" + c + "' is not a connection type for " + a + " (accepted: rc, sdp)");
                    };
                }
                case "-h", "--help" -> throw new Help(kind.help());
                default -> {
                    if (a.startsWith("-")) {
                        throw w.fail("unknown option '" + a + "' (accepted: --server, -j/--vnet, -s, -n, -p, -c, -h)");
                    }
                    if (peer != null) {
                        throw w.fail("more than one GID ('" + peer + "' and '" + a + "')");
                    }
                    peer = gid(w, a);
                }
            }
        }
        if (server && peer != null) {
            throw w.fail("the server takes no GID (it waits on -p SID; the client names the server's GID)");
        }
        if (!server && peer == null) {
            throw w.fail("missing the server's GID (or --server for the server side)");
        }
        return new Params(kind, server, vnet, size, iters, sizeGiven, itersGiven, sid, type, peer);
    }

    private static IbGid gid(Words w, String a) {
        try {
            return a.indexOf(':') < 0 && a.indexOf('.') > 0 ? IbGid.parse("::ffff:" + a) : IbGid.parse(a);
        } catch (IllegalArgumentException e) {
            throw w.fail(e.getMessage());
        }
    }

    /** -h: the help text, thrown out of the parser and printed instead of a run. */
    static final class Help extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Help(String text) {
            super(text, null, false, false);
        }
    }

    private final Params p;
    private final NetStack ns;
    private final PrintStream out;
    private final String cmd;

    Perftest(Params p, NetStack ns, PrintStream out) {
        this.p = p;
        this.ns = ns;
        this.out = out;
        this.cmd = p.kind().command + (p.server() ? " --server" : "");
    }

    void run() {
        try {
            if (p.server()) {
                serve();
            } else {
                client();
            }
        } catch (SocketException e) {
            throw new CommandException(cmd + ": " + (e.errno() == Errno.EINTR ? "interrupted" : e.getMessage()));
        }
    }

    // ---- sockets ----

    private Socket open() throws SocketException {
        Socket s = ns.socket(IbConstants.AF_IB, p.type(), 0);
        try {
            // a SOCK_SEQPACKET message must fit the peer's receive buffer and our send buffer
            int buf = Math.max(256 * 1024, Math.min(2 * MAX_SIZE, 4 * p.size()));
            if (p.server()) {
                buf = 2 * MAX_SIZE;
            }
            s.setOption(SockOpt.SO_SNDBUF, buf);
            s.setOption(SockOpt.SO_RCVBUF, buf);
        } catch (SocketException e) {
            // kern.ipc.maxsockbuf below what we asked: the defaults still serve the default sizes
        }
        return s;
    }

    private void sendMsg(Socket s, ByteBuffer b) throws SocketException {
        while (b.hasRemaining()) {
            s.send(b);
        }
    }

    /** One message of exactly {@code b.remaining()} bytes (SOCK_SEQPACKET: one record); false at the end of the stream. */
    private boolean recvMsg(Socket s, ByteBuffer b) throws SocketException {
        int want = b.remaining();
        if (p.type() == SOCK_SEQPACKET) {
            int n = s.recv(b);
            if (n == 0 && want > 0) {
                return false;
            }
            if (n != want) {
                throw new SocketException(Errno.EPROTO, "a " + n + " byte message where " + want + " were expected");
            }
            return true;
        }
        while (b.hasRemaining()) {
            if (s.recv(b) == 0) {
                return false;
            }
        }
        return true;
    }

    private ByteBuffer hello() {
        ByteBuffer h = ByteBuffer.allocate(HELLO);
        h.putInt(MAGIC).putInt(p.kind().ordinal()).putInt(p.size()).putInt((int) p.iters()).flip();
        return h;
    }

    // ---- server ----

    private void serve() throws SocketException {
        try (Socket l = open()) {
            l.bind(new IbSockAddr(IbSockAddr.ANY_GID, p.sid()));
            l.listen(1);
            out.println("************************************");
            out.println("* Waiting for client to connect... *  " + l.localAddress() + " in vnet " + ns.name() + " (" + p.typeName() + ")");
            out.println("************************************");
            out.flush();
            try (Socket c = l.accept()) {
                l.close();
                ByteBuffer h = ByteBuffer.allocate(HELLO);
                if (!recvMsg(c, h)) {
                    throw new SocketException(Errno.ECONNRESET, "the client left before its hello");
                }
                h.flip();
                int magic = h.getInt();
                int kind = h.getInt();
                int size = h.getInt();
                long iters = h.getInt() & 0xffffffffL;
                if (magic != MAGIC || kind != p.kind().ordinal()) {
                    throw new SocketException(Errno.EPROTO, "the client is not a " + p.kind().command + " client");
                }
                if ((p.sizeGiven() && size != p.size()) || (p.itersGiven() && iters != p.iters())) {
                    throw new SocketException(Errno.EINVAL, "the client asked for -s " + size + " -n " + iters
                            + ", this server was started with -s " + p.size() + " -n " + p.iters());
                }
                header(c, size, iters);
                if (p.kind() == Kind.BW) {
                    serveBw(c, size, iters);
                } else {
                    serveLat(c, size, iters);
                }
            }
        }
    }

    private void serveBw(Socket c, int size, long iters) throws SocketException {
        ByteBuffer m = ByteBuffer.allocate(size);
        long t0 = System.nanoTime();
        Progress pr = new Progress(t0, iters, "messages");
        for (long i = 0; i < iters; i++) {
            m.clear();
            if (!recvMsg(c, m)) {
                throw new SocketException(Errno.ECONNRESET, "the client left after " + i + " of " + iters + " messages");
            }
            pr.tick(i + 1, (i + 1) * size);
        }
        long ns = System.nanoTime() - t0;
        ByteBuffer done = ByteBuffer.allocate(8).putLong(ns).flip();
        sendMsg(c, done);
        bwResult(size, iters, ns);
    }

    private void serveLat(Socket c, int size, long iters) throws SocketException {
        ByteBuffer m = ByteBuffer.allocate(size);
        Progress pr = new Progress(System.nanoTime(), iters, "round trips");
        for (long i = 0; i < iters; i++) {
            m.clear();
            if (!recvMsg(c, m)) {
                throw new SocketException(Errno.ECONNRESET, "the client left after " + i + " of " + iters + " round trips");
            }
            m.flip();
            sendMsg(c, m);
            pr.tick(i + 1, -1);
        }
        out.println(" " + iters + " round trips answered");
        out.println(LINE);
    }

    // ---- client ----

    private void client() throws SocketException {
        IbSockAddr to = new IbSockAddr(p.peer(), p.sid());
        try (Socket s = open()) {
            try {
                s.connect(to);
            } catch (SocketException e) {
                throw new CommandException(cmd + ": connect to " + to + " from vnet " + ns.name() + ": " + e.getMessage()
                        + (e.errno() == Errno.ECONNREFUSED ? " (nobody listens on that service ID: start ib:" + p.kind().command
                                + " --server there)" : ""));
            }
            sendMsg(s, hello());
            header(s, p.size(), p.iters());
            if (p.kind() == Kind.BW) {
                clientBw(s);
            } else {
                clientLat(s);
            }
        }
    }

    private void clientBw(Socket s) throws SocketException {
        int size = p.size();
        long iters = p.iters();
        byte[] payload = new byte[size];
        new SplittableRandom(size).nextBytes(payload);
        ByteBuffer m = ByteBuffer.wrap(payload);
        long t0 = System.nanoTime();
        Progress pr = new Progress(t0, iters, "messages");
        for (long i = 0; i < iters; i++) {
            m.clear();
            sendMsg(s, m);
            pr.tick(i + 1, (i + 1) * size);
        }
        ByteBuffer done = ByteBuffer.allocate(8);
        if (!recvMsg(s, done)) {
            throw new SocketException(Errno.ECONNRESET, "the server left before it confirmed the messages");
        }
        bwResult(size, iters, System.nanoTime() - t0);
    }

    private void clientLat(Socket s) throws SocketException {
        int size = p.size();
        long iters = p.iters();
        ByteBuffer m = ByteBuffer.allocate(size);
        ByteBuffer back = ByteBuffer.allocate(size);
        long[] rtt = new long[(int) iters];
        Progress pr = new Progress(System.nanoTime(), iters, "round trips");
        for (int i = 0; i < iters; i++) {
            m.clear();
            back.clear();
            long t0 = System.nanoTime();
            sendMsg(s, m);
            if (!recvMsg(s, back)) {
                throw new SocketException(Errno.ECONNRESET, "the server left after " + i + " round trips");
            }
            rtt[i] = System.nanoTime() - t0;
            pr.tick(i + 1, -1);
        }
        Arrays.sort(rtt);
        double sum = 0;
        for (long r : rtt) {
            sum += r;
        }
        double avg = sum / rtt.length;
        double var = 0;
        for (long r : rtt) {
            var += (r - avg) * (r - avg);
        }
        double stdev = Math.sqrt(var / rtt.length);
        out.printf(Locale.ROOT, " %-8s %-13s %-14s %-14s %-17s %-14s %-15s %-22s %s%n", "#bytes", "#iterations", "t_min[usec]",
                "t_max[usec]", "t_typical[usec]", "t_avg[usec]", "t_stdev[usec]", "99% percentile[usec]", "99.9% percentile[usec]");
        out.printf(Locale.ROOT, " %-8d %-13d %-14.2f %-14.2f %-17.2f %-14.2f %-15.2f %-22.2f %.2f%n", size, iters, us(rtt[0]),
                us(rtt[rtt.length - 1]), us(rtt[rtt.length / 2]), avg / 2000.0, stdev / 2000.0,
                us(rtt[(int) Math.min(rtt.length - 1, (long) (rtt.length * 0.99))]),
                us(rtt[(int) Math.min(rtt.length - 1, (long) (rtt.length * 0.999))]));
        out.println(LINE);
    }

    /** Half a round trip in microseconds, as perftest reports latency. */
    private static double us(long rttNanos) {
        return rttNanos / 2000.0;
    }

    // ---- output ----

    private void header(Socket s, int size, long iters) throws SocketException {
        out.println(LINE);
        out.println("                    " + p.kind().title + " (protosw " + p.typeName() + ")");
        out.println(" Connection: " + s.localAddress() + " -> " + s.peerAddress() + "   vnet " + ns.name());
        out.println(" Message size " + size + " bytes, " + iters + " iterations");
        out.println(LINE);
        out.flush();
    }

    private void bwResult(int size, long iters, long ns) {
        double secs = ns / 1e9;
        double bytes = (double) size * iters;
        out.printf(Locale.ROOT, " %-10s %-14s %-22s %-22s %s%n", "#bytes", "#iterations", "BW average[MiB/sec]", "BW average[Gbit/sec]",
                "MsgRate[Mpps]");
        out.printf(Locale.ROOT, " %-10d %-14d %-22.2f %-22.3f %.6f%n", size, iters, bytes / secs / (1 << 20), bytes * 8 / secs / 1e9,
                iters / secs / 1e6);
        out.println(LINE);
        out.flush();
    }

    /** A line a second while a run lasts. */
    private final class Progress {
        private final long start;
        private final long total;
        private final String unit;
        private long next;

        Progress(long start, long total, String unit) {
            this.start = start;
            this.total = total;
            this.unit = unit;
            this.next = start + SECOND;
        }

        void tick(long done, long bytes) {
            long now = System.nanoTime();
            if (now < next || done == total) {
                return;
            }
            next = now + SECOND;
            double secs = (now - start) / 1e9;
            if (bytes >= 0) {
                out.printf(Locale.ROOT, " progress: %d/%d %s, %.1f MiB/s%n", done, total, unit, bytes / secs / (1 << 20));
            } else {
                out.printf(Locale.ROOT, " progress: %d/%d %s, %.1f us average round trip%n", done, total, unit, secs * 1e6 / done);
            }
            out.flush();
        }
    }
}
