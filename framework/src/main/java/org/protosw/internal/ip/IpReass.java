package org.protosw.internal.ip;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import org.protosw.internal.kern.PacketPool;
import org.protosw.spi.IfNet;
import org.protosw.spi.Packet;
import org.protosw.spi.Sysctls;
import org.protosw.spi.Tunable;
import org.protosw.wire.Ipv4Header;

/**
 * IPv4 reassembly ({@code ip_reass}, RFC 791 and RFC 815), one instance per stack.
 *
 * <p>Fragments are queued by (source, destination, id, protocol). Each queue copies the
 * data it receives into one buffer of at most 64 KiB and remembers which byte ranges it
 * holds, so memory is bounded by {@code net.inet.ip.maxfragpackets} queues of one datagram
 * each, however many fragments arrive; when they are all taken, the oldest queue of the new
 * datagram's bucket (or of another) is dropped to make room (its fragments counted as dropped, the queue
 * in "reassembly queues dropped to make room"). Overlaps keep the data that arrived first: a
 * fragment only fills the holes it covers, so a later fragment can never rewrite bytes
 * already received (a defence against overlap attacks in the spirit of RFC 5722);
 * fragments that bring nothing new count as duplicates. Fragments that contradict the
 * datagram's end (a second, different last fragment, or data past the end) drop the whole
 * datagram.
 *
 * <p>Each queue has its bucket's lock; there is no lock over the whole table. Queues live
 * {@code net.inet.ip.fragttl} seconds from their first fragment; {@link #slowtimo} drops
 * the expired ones and, when the first fragment had arrived, asks for an ICMP time
 * exceeded (reassembly) error.
 */
public final class IpReass {
    private static final int BUCKETS = 64;
    /** Data start here in a queue's buffer: room for link headers and a 60-byte IP header in front. */
    private static final int DATA_BASE = Packet.DEFAULT_HEADROOM + Ipv4Header.MAX_LENGTH;
    private static final int INITIAL_DATA = 2048;

    private final Tunable maxPackets;
    private final Tunable maxFragsPerPacket;
    private final Tunable fragTtl;
    private final LongSupplier clock;
    private final Consumer<Packet> onTimeout;
    private final Bucket[] buckets = new Bucket[BUCKETS];
    private final AtomicInteger queues = new AtomicInteger();

    final LongAdder fragments = new LongAdder();
    final LongAdder fragDropped = new LongAdder();
    final LongAdder fragTimeout = new LongAdder();
    final LongAdder reassembled = new LongAdder();
    final LongAdder tooLong = new LongAdder();
    /** Queues dropped, oldest first, to make room for a new datagram when the table was full. */
    final LongAdder reused = new LongAdder();

    /**
     * Registers {@code net.inet.ip.maxfragpackets}, {@code maxfragsperpacket} and
     * {@code fragttl} in {@code sysctl}.
     *
     * @param clock monotonic nanoseconds (System::nanoTime), read when a queue is created
     * @param onTimeout gets a copy of the first fragment (header and the data it had) of a
     *        datagram that timed out, to answer with ICMP time exceeded, code reassembly
     */
    public IpReass(Sysctls sysctl, LongSupplier clock, Consumer<Packet> onTimeout) {
        this.maxPackets = sysctl.register("net.inet.ip.maxfragpackets", 1024, 0, 65536,
                "Maximum number of IPv4 fragment reassembly queue entries");
        this.maxFragsPerPacket = sysctl.register("net.inet.ip.maxfragsperpacket", 16, 1, 8192,
                "Maximum number of IPv4 fragments allowed per packet");
        this.fragTtl = sysctl.register("net.inet.ip.fragttl", 30, 1, 255,
                "IP fragment life time on reassembly queue (seconds)");
        this.clock = clock;
        this.onTimeout = onTimeout;
        for (int i = 0; i < BUCKETS; i++) {
            buckets[i] = new Bucket();
        }
    }

    /**
     * Takes a fragment whose data start at its checked IPv4 header of {@code hlen} bytes.
     * Returns the whole datagram when this fragment completed it (a new packet, header
     * first, with MF and offset cleared), else null; the fragment itself is not kept.
     */
    public Packet input(Packet p, int hlen) {
        fragments.increment();
        byte[] b = p.array();
        int o = p.offset();
        int total = p.get16(Ipv4Header.OFF_TOTAL_LENGTH);
        int word = p.get16(Ipv4Header.OFF_FRAG);
        boolean mf = (word & Ipv4Header.FLAG_MF) != 0;
        int start = (word & Ipv4Header.OFFMASK) << 3;
        int plen = total - hlen;
        int end = start + plen;
        if (mf && (plen == 0 || (plen & 7) != 0)) {
            // only the last fragment may end off an 8-byte boundary
            fragDropped.increment();
            return null;
        }
        int src = p.get32(Ipv4Header.OFF_SRC);
        int dst = p.get32(Ipv4Header.OFF_DST);
        int id = p.get16(Ipv4Header.OFF_ID);
        int proto = p.get8(Ipv4Header.OFF_PROTOCOL);
        int bi = hash(src, dst, id, proto);
        Bucket bucket = buckets[bi];
        int limit = maxPackets.getInt();
        if (limit > 0 && queues.get() >= limit) {
            makeRoom(bi, src, dst, id, proto);
        }
        Queue done;
        synchronized (bucket) {
            Queue q = bucket.find(src, dst, id, proto);
            if (hlen + end > Ipv4Header.MAX_PACKET) {
                tooLong.increment();
                fragDropped.increment();
                if (q != null) {
                    drop(bucket, q);
                }
                return null;
            }
            if (q == null) {
                if (!reserveQueue(limit)) {
                    // 0 turns reassembly off; or the room made above was taken meanwhile
                    fragDropped.increment();
                    return null;
                }
                q = new Queue(src, dst, id, proto, clock.getAsLong() + TimeUnit.SECONDS.toNanos(fragTtl.get()));
                bucket.queues.add(q);
            }
            if (q.frags >= maxFragsPerPacket.getInt()) {
                fragDropped.increment();
                drop(bucket, q);
                return null;
            }
            if (!mf) {
                if ((q.total >= 0 && q.total != end) || q.highest() > end) {
                    fragDropped.increment();
                    drop(bucket, q);
                    return null;
                }
                q.total = end;
            } else if (q.total >= 0 && end > q.total) {
                fragDropped.increment();
                drop(bucket, q);
                return null;
            }
            if (!q.fill(b, o + hlen, start, end)) {
                fragDropped.increment();
                return null;
            }
            q.frags++;
            if ((p.flags() & Packet.M_CSUM_OK) == 0) {
                q.csumUnverified = true;
            }
            if (start == 0 && q.hlen == 0) {
                q.keepHeader(b, o, hlen, plen, p.rcvif(), p.flags());
            }
            if (!q.complete()) {
                return null;
            }
            bucket.queues.remove(q);
            queues.decrementAndGet();
            done = q;
        }
        reassembled.increment();
        return done.datagram();
    }

    /**
     * FreeBSD's {@code ipq_reuse}: a flood of fragments that never complete must not lock out
     * the datagrams that would, so when every queue is taken a new datagram drops the oldest
     * queue of its own bucket, or else of the next bucket that has one. One bucket lock at a
     * time: never one under another.
     */
    private void makeRoom(int bi, int src, int dst, int id, int proto) {
        Bucket own = buckets[bi];
        synchronized (own) {
            if (own.find(src, dst, id, proto) != null) {
                return;
            }
            if (reuseOldest(own)) {
                return;
            }
        }
        for (int j = 1; j < BUCKETS; j++) {
            Bucket b = buckets[(bi + j) & (BUCKETS - 1)];
            synchronized (b) {
                if (reuseOldest(b)) {
                    return;
                }
            }
        }
    }

    /**
     * Counts one more queue if that stays within {@code limit}. Workers add queues under
     * different buckets' locks: a check and a later increment let two of them pass the
     * limit together (the fragment flood held 1,025 queues of 1,024).
     */
    private boolean reserveQueue(int limit) {
        int n;
        do {
            n = queues.get();
            if (n >= limit) {
                return false;
            }
        } while (!queues.compareAndSet(n, n + 1));
        return true;
    }

    /** Drops the bucket's oldest queue, if it has one (its lock held). */
    private boolean reuseOldest(Bucket b) {
        if (b.queues.isEmpty()) {
            return false;
        }
        drop(b, b.queues.get(0));
        reused.increment();
        return true;
    }

    private void drop(Bucket bucket, Queue q) {
        fragDropped.add(q.frags);
        bucket.queues.remove(q);
        queues.decrementAndGet();
    }

    /** Expires queues whose life ended by {@code nowNanos} (the stack calls this every 500 ms). */
    public void slowtimo(long nowNanos) {
        List<Packet> icmp = null;
        for (Bucket bucket : buckets) {
            synchronized (bucket) {
                for (int i = bucket.queues.size() - 1; i >= 0; i--) {
                    Queue q = bucket.queues.get(i);
                    if (nowNanos - q.deadline >= 0) {
                        bucket.queues.remove(i);
                        queues.decrementAndGet();
                        fragTimeout.add(q.frags);
                        if (q.hlen != 0) {
                            if (icmp == null) {
                                icmp = new ArrayList<>();
                            }
                            icmp.add(q.firstFragment());
                        }
                    }
                }
            }
        }
        if (icmp != null) {
            icmp.forEach(onTimeout);
        }
    }

    /** Reassembly queues alive now. */
    public int queueCount() {
        return queues.get();
    }

    static int hash(int src, int dst, int id, int proto) {
        int h = src * 0x9e3779b1 ^ dst * 0x85ebca77 ^ (id << 8 | proto) * 0xc2b2ae3d;
        return (h ^ h >>> 16) & (BUCKETS - 1);
    }

    private static final class Bucket {
        final List<Queue> queues = new ArrayList<>(4);

        Queue find(int src, int dst, int id, int proto) {
            for (int i = 0; i < queues.size(); i++) {
                Queue q = queues.get(i);
                if (q.src == src && q.dst == dst && q.id == id && q.proto == proto) {
                    return q;
                }
            }
            return null;
        }
    }

    /** One datagram being reassembled ({@code struct ipq}). */
    private static final class Queue {
        final int src;
        final int dst;
        final int id;
        final int proto;
        final long deadline;
        /** Accepted fragments. */
        int frags;
        /** Data length, known once the last fragment (MF clear) arrived; else -1. */
        int total = -1;
        /** Header length of the first fragment, 0 until it arrived. */
        int hlen;
        int firstLen;
        IfNet rcvif;
        int pflags;
        /**
         * Some accepted fragment came without {@link Packet#M_CSUM_OK}: the datagram must not
         * inherit the first fragment's promise that nothing on the way damaged it.
         */
        boolean csumUnverified;
        byte[] buf = new byte[DATA_BASE + INITIAL_DATA];
        /** Held byte ranges [start, end) of the data, sorted, disjoint, not adjacent. */
        int[] ranges = new int[8];
        int nranges;

        Queue(int src, int dst, int id, int proto, long deadline) {
            this.src = src;
            this.dst = dst;
            this.id = id;
            this.proto = proto;
            this.deadline = deadline;
        }

        int highest() {
            return nranges == 0 ? 0 : ranges[2 * nranges - 1];
        }

        /** Copies the parts of [start, end) not held yet; false when there were none. */
        boolean fill(byte[] from, int dataOff, int start, int end) {
            if (start == end) {
                return false;
            }
            if (DATA_BASE + end > buf.length) {
                int cap = Math.min(DATA_BASE + Ipv4Header.MAX_PACKET, Math.max(DATA_BASE + end, 2 * buf.length));
                buf = Arrays.copyOf(buf, cap);
            }
            boolean added = false;
            int cur = start;
            for (int i = 0; i < nranges && cur < end; i++) {
                int a = ranges[2 * i];
                int b = ranges[2 * i + 1];
                if (b <= cur) {
                    continue;
                }
                if (a >= end) {
                    break;
                }
                if (a > cur) {
                    System.arraycopy(from, dataOff + (cur - start), buf, DATA_BASE + cur, a - cur);
                    added = true;
                }
                cur = Math.max(cur, b);
            }
            if (cur < end) {
                System.arraycopy(from, dataOff + (cur - start), buf, DATA_BASE + cur, end - cur);
                added = true;
            }
            if (added) {
                merge(start, end);
            }
            return added;
        }

        private void merge(int start, int end) {
            int[] out = new int[Math.max(ranges.length, 2 * (nranges + 1))];
            int n = 0;
            int i = 0;
            while (i < nranges && ranges[2 * i + 1] < start) {
                out[2 * n] = ranges[2 * i];
                out[2 * n + 1] = ranges[2 * i + 1];
                n++;
                i++;
            }
            int s = start;
            int e = end;
            while (i < nranges && ranges[2 * i] <= end) {
                s = Math.min(s, ranges[2 * i]);
                e = Math.max(e, ranges[2 * i + 1]);
                i++;
            }
            out[2 * n] = s;
            out[2 * n + 1] = e;
            n++;
            while (i < nranges) {
                out[2 * n] = ranges[2 * i];
                out[2 * n + 1] = ranges[2 * i + 1];
                n++;
                i++;
            }
            ranges = out;
            nranges = n;
        }

        void keepHeader(byte[] from, int off, int hlen, int plen, IfNet rcvif, int pflags) {
            System.arraycopy(from, off, buf, DATA_BASE - hlen, hlen);
            this.hlen = hlen;
            this.firstLen = plen;
            this.rcvif = rcvif;
            this.pflags = pflags;
        }

        boolean complete() {
            return hlen != 0 && total >= 0 && nranges == 1 && ranges[0] == 0 && ranges[1] == total;
        }

        /** The whole datagram in this queue's buffer, its header rewritten. */
        Packet datagram() {
            int start = DATA_BASE - hlen;
            Packet p = Packet.wrap(buf, start, hlen + total);
            p.set16(Ipv4Header.OFF_TOTAL_LENGTH, hlen + total);
            int word = p.get16(Ipv4Header.OFF_FRAG);
            p.set16(Ipv4Header.OFF_FRAG, word & ~(Ipv4Header.FLAG_MF | Ipv4Header.OFFMASK));
            new Ipv4Header(buf, start, hlen).fillChecksum();
            p.setRcvif(rcvif);
            // the queue's own buffer, never the pool's, whatever the first fragment was
            int f = pflags & ~PacketPool.M_POOLED;
            p.setFlags(csumUnverified ? f & ~Packet.M_CSUM_OK : f);
            return p;
        }

        /** A copy of the first fragment as it arrived (header and data), for the ICMP error. */
        Packet firstFragment() {
            int len = hlen + Math.min(firstLen, Math.max(0, highestContiguous()));
            byte[] copy = Arrays.copyOfRange(buf, DATA_BASE - hlen, DATA_BASE - hlen + len);
            Packet p = Packet.wrap(copy, 0, len);
            p.setRcvif(rcvif);
            p.setFlags(pflags);
            return p;
        }

        private int highestContiguous() {
            return nranges > 0 && ranges[0] == 0 ? ranges[1] : 0;
        }
    }
}
