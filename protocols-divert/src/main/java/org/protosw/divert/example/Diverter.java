package org.protosw.divert.example;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.NetStack;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.wire.Ipv4Header;
import org.protosw.wire.UdpHeader;

/**
 * A userland packet processor on a divert socket, as natd(8) is one: it reads each packet
 * the rules divert to its port and writes it back with the address it came with, so the
 * stack re-injects it where it was taken (inbound on the receiving interface, outbound
 * otherwise) and resumes rule processing after the rule that diverted it.
 *
 * <p>On the way it can count packets per {@link Flow} and rewrite a byte pattern in UDP
 * payloads to another of the same length, fixing the UDP and IP checksums. Run it on a
 * thread of its own ({@link #run()} returns when the socket is closed or the stack aborts
 * it); {@link #close()} stops it.
 *
 * <pre>{@code
 * Diverter d = Diverter.open(stack, 8668).countFlows();
 * Thread.ofVirtual().start(d);
 * ...
 * d.close();
 * }</pre>
 */
public final class Diverter implements Runnable, AutoCloseable {
    /** The largest IPv4 packet. */
    public static final int MAX_PACKET = 65535;

    private final Socket so;
    private final int port;
    private volatile boolean countFlows;
    private volatile byte[] from;
    private volatile byte[] to;
    private volatile boolean closed;
    private volatile SocketException failure;

    private final LongAdder packets = new LongAdder();
    private final LongAdder bytes = new LongAdder();
    private final LongAdder rewritten = new LongAdder();
    private final LongAdder writeErrors = new LongAdder();
    private final Map<Flow, Counter> flows = new ConcurrentHashMap<>();

    private record Counter(AtomicLong packets, AtomicLong bytes) {
    }

    private Diverter(Socket so, int port) {
        this.so = so;
        this.port = port;
    }

    /**
     * Opens a divert socket in {@code stack} bound to {@code port}.
     *
     * @throws SocketException EAFNOSUPPORT when divert is not loaded, EADDRINUSE when
     *         another socket has the port
     */
    public static Diverter open(NetStack stack, int port) throws SocketException {
        Socket s = stack.socket(SocketConstants.AF_DIVERT, SocketConstants.SOCK_RAW, 0);
        try {
            s.bind(new InetSockAddr(InAddr.ANY, port));
        } catch (SocketException e) {
            s.close();
            throw e;
        }
        return new Diverter(s, port);
    }

    /** Counts packets and bytes per flow from now on; returns this. */
    public Diverter countFlows() {
        countFlows = true;
        return this;
    }

    /**
     * Replaces every occurrence of {@code pattern} in UDP payloads by {@code replacement}
     * (of the same length, so no datagram changes size); returns this.
     */
    public Diverter rewrite(byte[] pattern, byte[] replacement) {
        if (pattern.length == 0 || pattern.length != replacement.length) {
            throw new IllegalArgumentException("rewrite needs a non-empty pattern and a replacement of the same length ("
                    + pattern.length + " and " + replacement.length + " bytes given)");
        }
        from = pattern.clone();
        to = replacement.clone();
        return this;
    }

    public int port() {
        return port;
    }

    /** Reads, processes and writes back until the socket is closed or aborted. */
    @Override
    public void run() {
        ByteBuffer buf = ByteBuffer.allocate(MAX_PACKET);
        while (!closed) {
            buf.clear();
            RecvInfo ri;
            try {
                ri = so.recvfrom(buf, 0);
            } catch (SocketException e) {
                end(e);
                return;
            }
            buf.flip();
            process(buf);
            try {
                so.sendto(buf, 0, ri.from());
            } catch (SocketException e) {
                if (e.errno() == Errno.ECONNABORTED || e.errno() == Errno.EBADF) {
                    end(e);
                    return;
                }
                // the packet is lost, as on a wire; the next one may well go through
                writeErrors.increment();
            }
        }
    }

    private void end(SocketException e) {
        if (!closed) {
            failure = e;
        }
    }

    /** Counts and rewrites one packet in place (position 0, limit its length). */
    private void process(ByteBuffer pkt) {
        byte[] b = pkt.array();
        int len = pkt.limit();
        packets.increment();
        bytes.add(len);
        Ipv4Header ip = new Ipv4Header(b, 0, len);
        if (ip.check() != org.protosw.wire.WireStatus.OK) {
            return;
        }
        int hlen = ip.headerLength();
        int proto = ip.protocol();
        boolean first = ip.fragmentOffset() == 0;
        if (countFlows) {
            int sport = 0;
            int dport = 0;
            if ((proto == 6 || proto == 17) && first && len >= hlen + 4) {
                sport = (b[hlen] & 0xff) << 8 | (b[hlen + 1] & 0xff);
                dport = (b[hlen + 2] & 0xff) << 8 | (b[hlen + 3] & 0xff);
            }
            Counter c = flows.computeIfAbsent(new Flow(proto, new InAddr(ip.src()), sport, new InAddr(ip.dst()), dport),
                    f -> new Counter(new AtomicLong(), new AtomicLong()));
            c.packets.incrementAndGet();
            c.bytes.addAndGet(len);
        }
        byte[] pattern = from;
        if (pattern != null && proto == UdpHeader.PROTOCOL && !ip.isFragment()) {
            rewriteUdp(b, hlen, ip.totalLength(), ip, pattern, to);
        }
    }

    private void rewriteUdp(byte[] b, int hlen, int total, Ipv4Header ip, byte[] pattern, byte[] replacement) {
        UdpHeader uh = new UdpHeader(b, hlen, total - hlen);
        if (uh.check() != org.protosw.wire.WireStatus.OK) {
            return;
        }
        int start = hlen + UdpHeader.LENGTH;
        int end = hlen + uh.length();
        boolean changed = false;
        for (int i = start; i + pattern.length <= end;) {
            if (Arrays.equals(b, i, i + pattern.length, pattern, 0, pattern.length)) {
                System.arraycopy(replacement, 0, b, i, replacement.length);
                i += pattern.length;
                changed = true;
            } else {
                i++;
            }
        }
        if (!changed) {
            return;
        }
        rewritten.increment();
        if (uh.checksum() != 0) {
            // a sender that sent no checksum gets none; else the new payload gets its own
            uh.fillChecksum(ip.src(), ip.dst());
        }
        ip.fillChecksum();
    }

    /** Packets read from the divert socket. */
    public long packets() {
        return packets.sum();
    }

    public long bytes() {
        return bytes.sum();
    }

    /** UDP datagrams whose payload was rewritten. */
    public long rewritten() {
        return rewritten.sum();
    }

    /** Packets that could not be written back (and were lost). */
    public long writeErrors() {
        return writeErrors.sum();
    }

    /** The per-flow counters (empty unless {@link #countFlows()}), ordered by flow text. */
    public Map<Flow, FlowCount> flows() {
        Map<Flow, FlowCount> out = new TreeMap<>((x, y) -> x.toString().compareTo(y.toString()));
        flows.forEach((f, c) -> out.put(f, new FlowCount(c.packets.get(), c.bytes.get())));
        return out;
    }

    /**
     * Why {@link #run()} ended other than by {@link #close()} (ECONNABORTED when divert was
     * unloaded), or null.
     */
    public SocketException failure() {
        return failure;
    }

    public boolean isClosed() {
        return closed;
    }

    /** Stops the diverter: the socket is closed and {@link #run()} returns. */
    @Override
    public void close() {
        closed = true;
        so.close();
    }
}
