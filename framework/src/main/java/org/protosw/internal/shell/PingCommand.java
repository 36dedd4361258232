package org.protosw.internal.shell;

import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.IPPROTO_ICMP;
import static org.protosw.socket.SocketConstants.SOCK_RAW;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.protosw.internal.kern.Vnet;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;
import org.protosw.wire.Checksum;

/**
 * {@code net:ping}: ICMP echo through an ordinary raw socket, with ping(8)'s output: a line
 * per reply, then the BSD summary.
 */
@Component(service = PingCommand.class, property = {"osgi.command.scope=net", "osgi.command.function=ping"})
public final class PingCommand extends NetCommand {
    static final String USAGE = "ping [-j vnet] [-c count] [-s size] [-i wait] [-t timeout] [-m ttl] [-S src] host";
    private static final int ICMP_ECHO = 8;
    private static final int ICMP_ECHOREPLY = 0;
    /** IP_MAXPACKET less the IP and ICMP headers, as ping(8) allows. */
    private static final int MAX_SIZE = 65535 - 20 - 8;
    /** The socket buffers a run needs: one echo of the largest size, and some (ping(8) asks the same). */
    private static final int RCVBUF = 65535 + 128;
    /** How long ping(8) waits for replies after its last request. */
    private static final long MAXWAIT_NANOS = 10_000_000_000L;

    @Descriptor("send ICMP echo requests and print the replies, as ping(8)\n"
            + "  -c count     stop after count requests and their replies (default: until -t or an interrupt)\n"
            + "  -s size      data bytes per request (default 56, 0 to 65507; larger than the MTU is fragmented;\n"
            + "               below 8 no round-trip time is measured)\n"
            + "  -i wait      seconds between requests (default 1; fractions allowed, 0.001 to 86400)\n"
            + "  -t timeout   stop after this many seconds in all (0.001 to 86400)\n"
            + "  -m ttl       time to live of the requests (1 to 255; default net.inet.ip.ttl)\n"
            + "  -S src       source address (one of this vnet's addresses)\n"
            + "  -j vnet      the stack instance to ping from (default: the default vnet)\n"
            + "  host         IPv4 address (a.b.c.d)\n"
            + "  prints a line per reply and the summary; fails with one line when nothing can be sent or nothing came back")
    public void ping(@Descriptor("[-c count] [-s size] [-i wait] [-t timeout] [-m ttl] [-S src] host") String... argv) {
        Args args = new Args("ping", USAGE, argv);
        String vnetName = null;
        long count = Integer.MAX_VALUE;
        int size = 56;
        double wait = 1.0;
        double timeout = 0;
        int ttl = -1;
        InAddr src = null;
        InAddr dst = null;
        while (!args.isEmpty()) {
            String w = args.next("option");
            switch (w) {
                case "-j" -> vnetName = args.next("vnet name after -j");
                case "-c" -> count = args.nextInt("count after -c", 1, Integer.MAX_VALUE);
                case "-s" -> size = args.nextInt("size after -s", 0, MAX_SIZE);
                case "-i" -> wait = seconds(args, "wait after -i", 0.001);
                case "-t" -> timeout = seconds(args, "timeout after -t", 0.001);
                case "-m" -> ttl = args.nextInt("ttl after -m", 1, 255);
                case "-S" -> src = args.nextAddr("source address after -S");
                default -> {
                    if (w.startsWith("-")) {
                        throw args.fail("unknown option '" + w + "' (accepted: -c, -s, -i, -t, -m, -S, -j)");
                    }
                    if (dst != null) {
                        throw args.fail("more than one host ('" + dst + "' and '" + w + "')");
                    }
                    try {
                        dst = InAddr.parse(w);
                    } catch (IllegalArgumentException e) {
                        throw args.fail(e.getMessage());
                    }
                }
            }
        }
        if (dst == null) {
            throw args.fail("missing host");
        }
        Vnet v = instance("ping", vnetName);
        new Run(v, dst, src, count, size, wait, timeout, ttl, System.out).run();
    }

    private static double seconds(Args args, String what, double min) {
        String w = args.next(what);
        double d;
        try {
            d = Double.parseDouble(w);
        } catch (NumberFormatException e) {
            throw args.fail("'" + w + "' is not a number of seconds for " + what + " (accepted: " + min + " to 86400)");
        }
        if (!(d >= min) || d > 86400) {
            throw args.fail(what + " " + w + " is out of range (accepted: " + min + " to 86400 seconds)");
        }
        return d;
    }

    /** One ping run: its socket, counters and round-trip statistics. */
    static final class Run {
        private final Vnet vnet;
        private final InAddr dst;
        private final InAddr src;
        private final long count;
        private final int size;
        private final long intervalNanos;
        private final long deadline;
        private final int ttl;
        private final PrintStream out;
        private final int ident = ThreadLocalRandom.current().nextInt(0x10000);
        private long transmitted;
        private long received;
        private long duplicates;
        private long timed;
        private boolean started;
        private double min = Double.MAX_VALUE;
        private double max;
        private double sum;
        private double sumSq;
        private final java.util.BitSet seen = new java.util.BitSet();

        Run(Vnet vnet, InAddr dst, InAddr src, long count, int size, double wait, double timeout, int ttl, PrintStream out) {
            this.vnet = vnet;
            this.dst = dst;
            this.src = src;
            this.count = count;
            this.size = size;
            this.intervalNanos = (long) (wait * 1e9);
            this.deadline = timeout > 0 ? System.nanoTime() + (long) (timeout * 1e9) : Long.MAX_VALUE;
            this.ttl = ttl;
            this.out = out;
        }

        /**
         * Sends, prints and summarises. Nothing is printed until the first request left: a
         * request that cannot be sent at all (no route, bad source) is one line of error.
         */
        void run() {
            try (Socket so = vnet.socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)) {
                if (ttl > 0) {
                    so.setOption(SockOpt.IP_TTL, ttl);
                }
                if (src != null) {
                    so.bind(new InetSockAddr(src, 0));
                }
                so.setOption(SockOpt.SO_BROADCAST, true);
                // room for the largest request and its echo (raw sockets default to 9216)
                so.setOption(SockOpt.SO_SNDBUF, Math.max(so.getOption(SockOpt.SO_SNDBUF), 8 + size));
                so.setOption(SockOpt.SO_RCVBUF, Math.max(so.getOption(SockOpt.SO_RCVBUF), RCVBUF));
                loop(so);
            } catch (SocketException e) {
                throw new CommandException("ping: " + reason(e));
            } catch (InterruptedException e) {
                // Ctrl-C in the shell: stop and summarise, as ping(8) does on SIGINT. The
                // interrupt is consumed (cleared, not re-asserted): it was the user's request to
                // end, and this is the end. Still set, it would close the shell's pipe channel
                // at the summary's first write (an interruptible channel closes on an
                // interrupted writer) and the summary would be lost.
                Thread.interrupted();
            } finally {
                if (started) {
                    summary();
                }
            }
            if (received == 0) {
                throw new CommandException("ping: no reply from " + dst + " (" + transmitted + " request(s) sent)");
            }
        }

        /**
         * Sends on the beat of -i and, between requests, waits in a blocking receive whose
         * SO_RCVTIMEO ends at the next thing to do, so an idle ping costs no CPU.
         */
        private void loop(Socket so) throws SocketException, InterruptedException {
            ByteBuffer rx = ByteBuffer.allocate(65536);
            long next = System.nanoTime();
            long lastSend = 0;
            int timeo = -1;
            while (true) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new InterruptedException();
                }
                long now = System.nanoTime();
                if (now >= deadline) {
                    return;
                }
                if (transmitted < count && now >= next) {
                    send(so);
                    lastSend = now;
                    next += intervalNanos;
                }
                long until;
                if (transmitted < count) {
                    until = next;
                } else {
                    // after the last request: wait for the outstanding replies, at most ping(8)'s MAXWAIT
                    if (received >= transmitted || now - lastSend >= MAXWAIT_NANOS) {
                        return;
                    }
                    until = lastSend + MAXWAIT_NANOS;
                }
                long waitMs = Math.max(1, (Math.min(until, deadline) - now + 999_999) / 1_000_000);
                int ms = (int) Math.min(waitMs, Integer.MAX_VALUE);
                if (ms != timeo) {
                    so.setOption(SockOpt.SO_RCVTIMEO, ms);
                    timeo = ms;
                }
                receive(so, rx);
                // a line a reply, as it comes: the shell's stream buffers until flushed
                out.flush();
            }
        }

        private void send(Socket so) throws SocketException {
            ByteBuffer b = ByteBuffer.allocate(8 + size);
            int seq = (int) (transmitted & 0xffff);
            // the sequence number wraps at 65536: a reply to the new request is not a duplicate
            seen.clear(seq);
            b.put(0, (byte) ICMP_ECHO);
            b.put(1, (byte) 0);
            b.putShort(4, (short) ident);
            b.putShort(6, (short) seq);
            if (size >= 8) {
                b.putLong(8, System.nanoTime());
            }
            for (int i = 16; i < 8 + size; i++) {
                b.put(i, (byte) i);
            }
            int ck = Checksum.compute(b.array(), 0, 8 + size);
            b.putShort(2, (short) ck);
            try {
                so.sendto(b, 0, new InetSockAddr(dst, 0));
            } catch (SocketException e) {
                if (!started) {
                    throw new CommandException("ping: sendto: " + e.errno().text() + " (" + reason(e) + ")");
                }
                if (!passing(e.errno())) {
                    throw e;
                }
                // as ping(8): say so, count the request as sent (and lost), go on
                out.println("ping: sendto: " + e.errno().text() + " (" + reason(e) + ")");
            }
            if (!started) {
                started = true;
                out.printf(Locale.ROOT, "PING %s (%s): %d data bytes%n", dst, dst, size);
            }
            transmitted++;
        }

        /** Errors a later request may meet while the route or the link changes under the run. */
        private static boolean passing(Errno e) {
            return switch (e) {
                case EAGAIN, ENOBUFS, ENETUNREACH, EHOSTUNREACH, ENETDOWN, EHOSTDOWN -> true;
                default -> false;
            };
        }

        /** Reads one datagram, or nothing when the receive timeout passes first. */
        private void receive(Socket so, ByteBuffer rx) throws SocketException, InterruptedException {
            rx.clear();
            RecvInfo info;
            try {
                info = so.recvfrom(rx, 0);
            } catch (SocketException e) {
                if (e.errno() == Errno.EAGAIN) {
                    return;
                }
                if (e.errno() == Errno.EINTR) {
                    throw new InterruptedException();
                }
                throw e;
            }
            long now = System.nanoTime();
            byte[] p = rx.array();
            int len = info.length();
            if (len < 20) {
                return;
            }
            int hlen = (p[0] & 0xf) << 2;
            int ttlIn = p[8] & 0xff;
            if (len < hlen + 8) {
                return;
            }
            int type = p[hlen] & 0xff;
            InAddr from = ((InetSockAddr) info.from()).addr();
            if (type == ICMP_ECHOREPLY) {
                int id = (p[hlen + 4] & 0xff) << 8 | (p[hlen + 5] & 0xff);
                if (id != ident) {
                    return;
                }
                int seq = (p[hlen + 6] & 0xff) << 8 | (p[hlen + 7] & 0xff);
                double ms = Double.NaN;
                if (len >= hlen + 16) {
                    long sent = ByteBuffer.wrap(p, hlen + 8, 8).getLong();
                    ms = (now - sent) / 1e6;
                }
                boolean dup = seen.get(seq);
                seen.set(seq);
                if (dup) {
                    duplicates++;
                } else {
                    received++;
                    if (!Double.isNaN(ms)) {
                        timed++;
                        min = Math.min(min, ms);
                        max = Math.max(max, ms);
                        sum += ms;
                        sumSq += ms * ms;
                    }
                }
                out.printf(Locale.ROOT, "%d bytes from %s: icmp_seq=%d ttl=%d%s%s%n", len - hlen, from, seq, ttlIn,
                        Double.isNaN(ms) ? "" : String.format(Locale.ROOT, " time=%.3f ms", ms), dup ? " (DUP!)" : "");
            } else if (type == 3 || type == 11) {
                // an error quoting one of our requests: its IP header, then at least 8 bytes of the echo
                int inner = hlen + 8;
                if (len < inner + 20) {
                    return;
                }
                int ihl = (p[inner] & 0xf) << 2;
                if (ihl < 20 || len < inner + ihl + 8 || p[inner + 9] != IPPROTO_ICMP || p[inner + ihl] != ICMP_ECHO) {
                    return;
                }
                int id = (p[inner + ihl + 4] & 0xff) << 8 | (p[inner + ihl + 5] & 0xff);
                if (id == ident) {
                    out.printf(Locale.ROOT, "%d bytes from %s: %s%n", len - hlen, from, errorText(type, p[hlen + 1] & 0xff));
                }
            }
        }

        private static String errorText(int type, int code) {
            if (type == 11) {
                return code == 0 ? "Time to live exceeded" : "Frag reassembly time exceeded";
            }
            return switch (code) {
                case 0 -> "Destination Net Unreachable";
                case 1 -> "Destination Host Unreachable";
                case 2 -> "Destination Protocol Unreachable";
                case 3 -> "Destination Port Unreachable";
                case 4 -> "frag needed and DF set";
                default -> "Destination Unreachable, code " + code;
            };
        }

        private void summary() {
            out.printf(Locale.ROOT, "%n--- %s ping statistics ---%n", dst);
            double loss = transmitted == 0 ? 0 : 100.0 * (transmitted - received) / transmitted;
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "%d packets transmitted, %d packets received, ", transmitted, received));
            if (duplicates > 0) {
                sb.append(String.format(Locale.ROOT, "+%d duplicates, ", duplicates));
            }
            sb.append(String.format(Locale.ROOT, "%.1f%% packet loss", loss));
            out.println(sb);
            if (timed > 0) {
                double avg = sum / timed;
                double sd = Math.sqrt(Math.max(0, sumSq / timed - avg * avg));
                out.printf(Locale.ROOT, "round-trip min/avg/max/stddev = %.3f/%.3f/%.3f/%.3f ms%n", min, avg, max, sd);
            }
            out.flush();
        }
    }
}
