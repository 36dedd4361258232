package org.protosw.tcp.internal;

import static org.protosw.socket.SocketConstants.IPPROTO_TCP;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

import org.protosw.socket.SocketException;
import org.protosw.spi.Callout;
import org.protosw.spi.Packet;
import org.protosw.spi.ProtoSocket;
import org.protosw.spi.ProtoContext;
import org.protosw.wire.TcpHeader;

/**
 * FreeBSD's syncache(4): a half-open connection is a small entry in a bounded hash table,
 * not a socket and a pcb, so a SYN flood costs at most {@code cachelimit} entries. The
 * cache answers SYNs and retransmits SYN-ACKs itself; the ACK that completes the handshake
 * creates the socket. When a bucket or the cache is full, the answer is a SYN cookie
 * (RFC 4987): nothing is kept, the ISN carries what the connection needs.
 *
 * <p>A cookie ISN is 24 bits of a keyed SipHash over the four-tuple, the peer's ISN and the
 * low byte, then the low byte: the peer's MSS as an index into {@link #MSS_TAB} (3 bits),
 * its window scale as an index into {@link #WS_TAB} (3 bits, 0 = not offered), SACK
 * permitted (1 bit) and which of two secrets made it (1 bit). The secrets take turns every
 * {@link #SECRET_PERIOD_MS}; a cookie is good while its secret is the current or the
 * previous one. Timestamps need no bit: a peer that agreed to them sends one on the ACK.
 *
 * <p>The listener's part of {@code tcp_input} that feeds the cache is in {@link TcpInput}.
 */
final class SynCache {
    static final int HASHSIZE = 512;
    static final int MAX_REXMTS = 3;
    static final long SECRET_PERIOD_MS = 15_000;
    private static final int[] MSS_TAB = {216, 536, 1200, 1360, 1400, 1440, 1452, 1460};
    private static final int[] WS_TAB = {-1, 0, 1, 2, 4, 6, 7, 8};
    private static final long TICK_MS = 100;

    /** What {@link #expand} answers for a segment outside the window: dropped, not reset. */
    static final Entry BAD_SEQ = new Entry(0, 0, 0, 0, 0, 0, 0, -1, false, false, 0, 0, 0, 0, -1, 0);

    /** A half-open connection: what the SYN said and what our SYN-ACK offered. */
    static final class Entry {
        final int laddr;
        final int lport;
        final int faddr;
        final int fport;
        final int irs;
        final int iss;
        final int peerMss;
        final int peerWs;
        final boolean sack;
        final boolean ts;
        final int tsRecent;
        final int tsOffset;
        final int win;
        final int ourMss;
        final int rcvScale;
        final int rcvWin;
        int rxtshift;
        long deadline;
        /** Rebuilt from a cookie: no SYN-ACK of the cache's, nothing to retransmit. */
        boolean fromCookie;

        Entry(int laddr, int lport, int faddr, int fport, int irs, int iss, int peerMss, int peerWs, boolean sack,
                boolean ts, int tsRecent, int tsOffset, int win, int ourMss, int rcvScale, int rcvWin) {
            this.laddr = laddr;
            this.lport = lport;
            this.faddr = faddr;
            this.fport = fport;
            this.irs = irs;
            this.iss = iss;
            this.peerMss = peerMss;
            this.peerWs = peerWs;
            this.sack = sack;
            this.ts = ts;
            this.tsRecent = tsRecent;
            this.tsOffset = tsOffset;
            this.win = win;
            this.ourMss = ourMss;
            this.rcvScale = rcvScale;
            this.rcvWin = rcvWin;
        }

        boolean is(int la, int lp, int fa, int fp) {
            return laddr == la && lport == lp && faddr == fa && fport == fp;
        }
    }

    private static final class Bucket {
        final ReentrantLock lock = new ReentrantLock();
        final ArrayList<Entry> entries = new ArrayList<>(4);
    }

    private final TcpProtocol tcp;
    private final ProtoContext ctx;
    private final TcpStats stats;
    private final Bucket[] buckets = new Bucket[HASHSIZE];
    private final AtomicInteger count = new AtomicInteger();
    private final Callout timer;
    private long hashKey0;
    private long hashKey1;
    private final long[] secret0 = new long[2];
    private final long[] secret1 = new long[2];
    private final long[] secretPeriod = {-2, -2};
    private final SecureRandom random = new SecureRandom();

    SynCache(TcpProtocol tcp) {
        this.tcp = tcp;
        this.ctx = tcp.context();
        this.stats = tcp.stats();
        for (int i = 0; i < HASHSIZE; i++) {
            buckets[i] = new Bucket();
        }
        hashKey0 = random.nextLong();
        hashKey1 = random.nextLong();
        timer = ctx.newCallout(this::tick);
    }

    /** Half-open connections held now. */
    int size() {
        return count.get();
    }

    void stop() {
        timer.stop();
    }

    private Bucket bucket(int laddr, int lport, int faddr, int fport) {
        long h = IsnGenerator.sipHash(hashKey0, hashKey1, laddr, lport, faddr, fport);
        return buckets[(int) (h & (HASHSIZE - 1))];
    }

    // ---- SYN ------------------------------------------------------------------------------

    /**
     * {@code syncache_add}: a SYN for a listener whose SYN-ACK offers {@code ourMss}, window
     * scale {@code rcvScale} and window {@code rcvWin}. A repeated SYN is answered again.
     */
    void add(Segment s, int ourMss, int rcvScale, int rcvWin) {
        long rfc1323 = tcp.rfc1323.get();
        int peerWs = (rfc1323 == 1 || rfc1323 == 2) && s.hasWs ? Math.min(s.ws, TcpProtocol.TCP_MAX_WINSHIFT) : -1;
        boolean ts = (rfc1323 == 1 || rfc1323 == 3) && s.hasTs;
        boolean sack = tcp.sack.get() != 0 && s.sackPermitted;
        int peerMss = s.hasMss ? s.mss : tcp.mssdflt.getInt();
        int tsOffset = tcp.isn().tsOffset(s.dst, s.dport, s.src, s.sport);
        if (tcp.syncookiesOnly.get() != 0) {
            sendCookie(s, peerMss, peerWs, sack, ts, tsOffset, ourMss, rcvScale, rcvWin);
            return;
        }
        Bucket b = bucket(s.dst, s.dport, s.src, s.sport);
        boolean cookie = false;
        b.lock.lock();
        try {
            for (Entry old : b.entries) {
                if (old.is(s.dst, s.dport, s.src, s.sport)) {
                    // the SYN-ACK was lost, or the SYN came twice: say it again
                    stats.syncacheDupsyn.increment();
                    synAck(old);
                    return;
                }
            }
            boolean bucketFull = b.entries.size() >= tcp.syncacheBucketLimit.get();
            boolean cacheFull = count.get() >= tcp.syncacheCacheLimit.get();
            if (bucketFull || cacheFull) {
                (bucketFull ? stats.syncacheBucketOverflow : stats.syncacheCacheOverflow).increment();
                if (tcp.syncookies.get() != 0) {
                    cookie = true;
                } else if (b.entries.isEmpty()) {
                    stats.syncacheDropped.increment();
                    return;
                } else {
                    // without cookies the oldest half-open connection of the bucket gives way
                    b.entries.remove(0);
                    count.decrementAndGet();
                    stats.syncacheDropped.increment();
                }
            }
            if (cookie) {
                return;
            }
            int iss = tcp.isn().isn(s.dst, s.dport, s.src, s.sport);
            Entry e = new Entry(s.dst, s.dport, s.src, s.sport, s.seq, iss, peerMss, peerWs, sack, ts, s.tsVal, tsOffset,
                    s.win, ourMss, rcvScale, rcvWin);
            e.deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(tcp.rexmitInitial.get());
            b.entries.add(e);
            count.incrementAndGet();
            stats.syncacheAdded.increment();
            synAck(e);
        } finally {
            b.lock.unlock();
            if (cookie) {
                sendCookie(s, peerMss, peerWs, sack, ts, tsOffset, ourMss, rcvScale, rcvWin);
            }
        }
        if (!timer.pending()) {
            timer.reset(TICK_MS, TimeUnit.MILLISECONDS);
        }
    }

    private void sendCookie(Segment s, int peerMss, int peerWs, boolean sack, boolean ts, int tsOffset, int ourMss,
            int rcvScale, int rcvWin) {
        int mssIdx = 0;
        for (int i = MSS_TAB.length - 1; i > 0; i--) {
            if (MSS_TAB[i] <= peerMss) {
                mssIdx = i;
                break;
            }
        }
        int wsIdx = 0;
        if (peerWs >= 0) {
            for (int i = WS_TAB.length - 1; i > 0; i--) {
                if (WS_TAB[i] <= peerWs) {
                    wsIdx = i;
                    break;
                }
            }
        }
        long period = System.nanoTime() / 1_000_000 / SECRET_PERIOD_MS;
        int parity = (int) (period & 1);
        secretFor(period);
        int low = mssIdx | wsIdx << 3 | (sack ? 1 << 6 : 0) | parity << 7;
        int iss = mac(parity, s.dst, s.dport, s.src, s.sport, s.seq, low) << 8 | low;
        Entry e = new Entry(s.dst, s.dport, s.src, s.sport, s.seq, iss, MSS_TAB[mssIdx], WS_TAB[wsIdx], sack, ts,
                s.tsVal, tsOffset, s.win, ourMss, rcvScale, rcvWin);
        stats.syncookiesSent.increment();
        synAck(e);
    }

    /** The secret of {@code period}, made when its turn comes. */
    private synchronized void secretFor(long period) {
        int i = (int) (period & 1);
        if (secretPeriod[i] != period) {
            secret0[i] = random.nextLong();
            secret1[i] = random.nextLong();
            secretPeriod[i] = period;
        }
    }

    private synchronized int mac(int parity, int laddr, int lport, int faddr, int fport, int irs, int low) {
        long k1 = secret1[parity] ^ ((long) irs << 32 | (low & 0xff));
        return (int) (IsnGenerator.sipHash(secret0[parity], k1, laddr, lport, faddr, fport) >>> 40);
    }

    /** The cookie's secret is the current or the previous one. */
    private synchronized boolean secretValid(int parity, long period) {
        long p = secretPeriod[parity];
        return p == period || p == period - 1;
    }

    // ---- ACK ------------------------------------------------------------------------------

    /**
     * {@code syncache_expand}: the ACK of our SYN-ACK. Returns the half-open connection it
     * completes (taken out of the cache), one rebuilt from a valid cookie, {@link #BAD_SEQ}
     * for a sequence number outside the window offered (the caller drops it), or null: no
     * such connection, or a wrong ACK (the caller answers with a RST).
     */
    Entry expand(Segment s) {
        Bucket b = bucket(s.dst, s.dport, s.src, s.sport);
        b.lock.lock();
        try {
            for (int i = 0; i < b.entries.size(); i++) {
                Entry e = b.entries.get(i);
                if (e.is(s.dst, s.dport, s.src, s.sport)) {
                    if (s.ack != e.iss + 1) {
                        stats.syncacheBadack.increment();
                        return null;
                    }
                    // anywhere in the window we offered, as FreeBSD's syncache_expand and
                    // Linux's tcp_check_req accept: a peer whose first data was dropped with
                    // its ACK (the listen queue was full) answers our retransmitted SYN-ACK
                    // from beyond it, and the connection takes the gap as out of order
                    int off = s.seq - (e.irs + 1);
                    if (off < 0 || off >= Math.max(1, e.rcvWin)) {
                        stats.syncacheBadseq.increment();
                        return BAD_SEQ;
                    }
                    b.entries.remove(i);
                    count.decrementAndGet();
                    stats.syncacheCompleted.increment();
                    return e;
                }
            }
        } finally {
            b.lock.unlock();
        }
        if (tcp.syncookies.get() == 0 && tcp.syncookiesOnly.get() == 0) {
            return null;
        }
        return cookie(s);
    }

    private Entry cookie(Segment s) {
        int iss = s.ack - 1;
        int irs = s.seq - 1;
        int low = iss & 0xff;
        int parity = low >>> 7;
        long period = System.nanoTime() / 1_000_000 / SECRET_PERIOD_MS;
        if (!secretValid(parity, period) || mac(parity, s.dst, s.dport, s.src, s.sport, irs, low) != (iss >>> 8)) {
            stats.syncookiesFailed.increment();
            return null;
        }
        stats.syncookiesReceived.increment();
        long rfc1323 = tcp.rfc1323.get();
        boolean ts = (rfc1323 == 1 || rfc1323 == 3) && s.hasTs;
        Entry e = new Entry(s.dst, s.dport, s.src, s.sport, irs, iss, MSS_TAB[low & 7], WS_TAB[(low >>> 3) & 7],
                (low & 1 << 6) != 0, ts, s.tsVal, tcp.isn().tsOffset(s.dst, s.dport, s.src, s.sport), s.win, 0, -1, 0);
        e.fromCookie = true;
        return e;
    }

    /**
     * The handshake of {@code e} completed but found no room in the listen queue: it goes
     * back into the cache as it was (its SYN-ACK timer and retries unchanged), as Linux keeps
     * the request when {@code tcp_abort_on_overflow} is 0, so the peer's next ACK completes it.
     * A cookie's entry is not kept (the peer's next segment validates the cookie again), nor
     * one the cache has no room for.
     */
    void putBack(Entry e) {
        if (e.fromCookie) {
            return;
        }
        Bucket b = bucket(e.laddr, e.lport, e.faddr, e.fport);
        b.lock.lock();
        try {
            for (Entry old : b.entries) {
                if (old.is(e.laddr, e.lport, e.faddr, e.fport)) {
                    return;
                }
            }
            if (b.entries.size() >= tcp.syncacheBucketLimit.get() || count.get() >= tcp.syncacheCacheLimit.get()) {
                stats.syncacheDropped.increment();
                return;
            }
            // the peer is alive and done with its handshake: its retries start again from
            // this ACK, so it stays as long as it keeps trying (a Linux client retransmits
            // its first data for minutes), not the three SYN-ACKs a silent peer gets
            e.rxtshift = 0;
            e.deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(tcp.rexmitInitial.get());
            b.entries.add(e);
            count.incrementAndGet();
            // counted when its ACK came; it completes when a later ACK finds room
            stats.syncacheCompleted.decrement();
        } finally {
            b.lock.unlock();
        }
        if (!timer.pending()) {
            timer.reset(TICK_MS, TimeUnit.MILLISECONDS);
        }
    }

    /** {@code syncache_chkrst}: a RST for a half-open connection, exactly at its RCV.NXT, ends it. */
    void reset(Segment s) {
        Bucket b = bucket(s.dst, s.dport, s.src, s.sport);
        b.lock.lock();
        try {
            for (int i = 0; i < b.entries.size(); i++) {
                Entry e = b.entries.get(i);
                if (e.is(s.dst, s.dport, s.src, s.sport) && s.seq == e.irs + 1) {
                    b.entries.remove(i);
                    count.decrementAndGet();
                    stats.syncacheReset.increment();
                    return;
                }
            }
        } finally {
            b.lock.unlock();
        }
    }

    // ---- the connection ----------------------------------------------------------------

    /**
     * {@code syncache_socket}: the connection of a completed handshake, in SYN_RECEIVED as
     * though it had sent the SYN-ACK itself, with the options of listener {@code l} as they
     * were when the ACK arrived. Null when the listen queue is full or the listener is
     * closing.
     */
    TcpCb syncacheSocket(TcpInput.Listener l, Entry e) {
        ProtoSocket listenerSo = l.so();
        if (listenerSo == null) {
            return null;
        }
        TcpCb[] made = new TcpCb[1];
        ProtoSocket child = listenerSo.sonewconn(cso -> made[0] = new TcpCb(tcp, cso));
        if (child == null || made[0] == null) {
            stats.listendrop.increment();
            return null;
        }
        TcpCb cb = made[0];
        cb.lock.lock();
        try {
            cb.flags |= l.inheritedFlags();
            cb.userMss = l.userMss();
            // as FreeBSD's syncache: the connection uses the listener's algorithm
            if (!l.ccAlgo().gone()) {
                TcpSubr.ccSwitch(cb, l.ccAlgo());
            }
            if (!fromSynCache(cb, e)) {
                return null;
            }
        } finally {
            cb.unlock();
        }
        return cb;
    }

    private static boolean fromSynCache(TcpCb tp, Entry e) {
        assert tp.lockHeld();
        try {
            tp.table.insertConnected(tp.inp, e.laddr, e.lport, e.faddr, e.fport);
        } catch (SocketException x) {
            tp.stats.listendrop.increment();
            TcpSubr.tcpClose(tp);
            return false;
        }
        tp.laddr = e.laddr;
        tp.lport = e.lport;
        tp.faddr = e.faddr;
        tp.fport = e.fport;
        tp.iss = e.iss;
        tp.tsOffset = e.tsOffset;
        tp.sndUna = tp.iss;
        tp.sndNxt = tp.sndMax = tp.iss + 1;
        tp.recover = tp.iss;
        tp.irs = e.irs;
        tp.rcvNxt = tp.irs + 1;
        tp.lastAckSent = tp.rcvNxt;
        tp.ourMss = TcpInput.tcpMssopt(tp);
        TcpSubr.requestOptions(tp);
        if (e.rcvScale >= 0) {
            // what our SYN-ACK announced, whatever the buffer is now
            tp.requestRcvScale = e.rcvScale;
        }
        TcpInput.synOptions(tp, e.peerMss, e.peerWs, e.ts, e.tsRecent, e.sack);
        // as after a SYN-ACK of our own: the whole receive space counts as advertised
        tp.rcvWnd = tp.rcvSpace();
        tp.rcvAdv = tp.rcvNxt + (int) tp.rcvWnd;
        tp.sndWnd = e.win;
        tp.sndWl1 = tp.irs;
        tp.sndWl2 = tp.iss;
        tp.connStart = System.nanoTime();
        tp.state = TcpState.SYN_RECEIVED;
        tp.stats.accepts.increment();
        return true;
    }

    // ---- timer ----------------------------------------------------------------------------

    /** {@code syncache_timer}: SYN-ACKs again with the interval doubled, then the entry expires. */
    private void tick() {
        try {
            long now = System.nanoTime();
            for (Bucket b : buckets) {
                if (b.entries.isEmpty()) {
                    continue;
                }
                b.lock.lock();
                try {
                    for (int i = b.entries.size() - 1; i >= 0; i--) {
                        Entry e = b.entries.get(i);
                        if (now - e.deadline < 0) {
                            continue;
                        }
                        if (e.rxtshift >= Math.min(MAX_REXMTS, tcp.synRetries.get())) {
                            b.entries.remove(i);
                            count.decrementAndGet();
                            stats.syncacheTimedOut.increment();
                            continue;
                        }
                        e.rxtshift++;
                        e.deadline = now + TimeUnit.MILLISECONDS.toNanos(tcp.rexmitInitial.get() << e.rxtshift);
                        stats.syncacheRetransmitted.increment();
                        synAck(e);
                    }
                } finally {
                    b.lock.unlock();
                }
            }
        } catch (RuntimeException e) {
            stats.inerrors.increment();
        }
        if (count.get() > 0) {
            timer.reset(TICK_MS, TimeUnit.MILLISECONDS);
        }
    }

    // ---- output ---------------------------------------------------------------------------

    /** The SYN-ACK of {@code e}, its options written as a connection writes its own ({@code tcp_addoptions}). */
    private void synAck(Entry e) {
        byte[] ob = new byte[40];
        int tof = TcpOutput.TOF_MSS;
        if (e.peerWs >= 0) {
            tof |= TcpOutput.TOF_SCALE;
        }
        if (e.sack) {
            tof |= TcpOutput.TOF_SACKPERM;
        }
        if (e.ts) {
            tof |= TcpOutput.TOF_TS;
        }
        int tsVal = e.ts ? (int) (System.nanoTime() / 1_000_000) + e.tsOffset : 0;
        int optlen = TcpOutput.tcpAddoptions(ob, tof, e.ourMss, e.rcvScale, tsVal, e.tsRecent, null, 0);
        int hlen = TcpHeader.MIN_LENGTH + optlen;
        Packet p = ctx.allocate(hlen);
        System.arraycopy(ob, 0, p.array(), p.offset() + TcpHeader.MIN_LENGTH, optlen);
        TcpHeader th = new TcpHeader(p.array(), p.offset(), hlen);
        th.setSrcPort(e.lport).setDstPort(e.fport).setSeq(e.iss).setAck(e.irs + 1).setHeaderLength(hlen)
                .setFlags(TcpHeader.SYN | TcpHeader.ACK).setWindow(Math.min(e.rcvWin, TcpProtocol.TCP_MAXWIN))
                .setUrgentPointer(0).setChecksum(0);
        th.fillChecksum(e.laddr, e.faddr);
        stats.sndctrl.increment();
        stats.sndtotal.increment();
        try {
            ctx.ipOutput(p, e.laddr, e.faddr, IPPROTO_TCP, -1, 0, 0);
        } catch (SocketException x) {
            stats.outerrors.increment();
        }
    }

    // ---- live upgrade (TcpTransfer) ---------------------------------------------------

    /**
     * The half-open connections, the bucket hash key and the cookie secrets: a SYN-ACK or a
     * cookie sent before the upgrade is answered by an ACK the next revision must recognise.
     * Deadlines go as the time left, since the pause should not count against them.
     */
    synchronized java.util.Map<String, Object> exportState() {
        long now = System.nanoTime();
        java.util.List<Object> entries = new ArrayList<>();
        for (Bucket b : buckets) {
            b.lock.lock();
            try {
                for (Entry e : b.entries) {
                    entries.add(java.util.List.of(e.laddr, e.lport, e.faddr, e.fport, e.irs, e.iss, e.peerMss, e.peerWs,
                            e.sack, e.ts, e.tsRecent, e.tsOffset, e.win, e.ourMss, e.rcvScale, e.rcvWin, e.rxtshift,
                            Math.max(0, e.deadline - now), e.fromCookie));
                }
            } finally {
                b.lock.unlock();
            }
        }
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("entries", entries);
        m.put("hashKey", java.util.List.of(hashKey0, hashKey1));
        m.put("secret0", java.util.List.of(secret0[0], secret0[1]));
        m.put("secret1", java.util.List.of(secret1[0], secret1[1]));
        m.put("secretPeriod", java.util.List.of(secretPeriod[0], secretPeriod[1]));
        return m;
    }

    synchronized void restore(java.util.Map<String, Object> m) throws org.protosw.socket.SocketException {
        long[] key = TcpTransfer.longs(m, "hashKey", 2);
        long[] s0 = TcpTransfer.longs(m, "secret0", 2);
        long[] s1 = TcpTransfer.longs(m, "secret1", 2);
        long[] period = TcpTransfer.longs(m, "secretPeriod", 2);
        hashKey0 = key[0];
        hashKey1 = key[1];
        System.arraycopy(s0, 0, secret0, 0, 2);
        System.arraycopy(s1, 0, secret1, 0, 2);
        System.arraycopy(period, 0, secretPeriod, 0, 2);
        long now = System.nanoTime();
        for (Object o : TcpTransfer.list(m, "entries")) {
            if (!(o instanceof java.util.List<?> l) || l.size() != 19) {
                throw TcpTransfer.bad("SYN cache entry " + o);
            }
            try {
                Entry e = new Entry((Integer) l.get(0), (Integer) l.get(1), (Integer) l.get(2), (Integer) l.get(3),
                        (Integer) l.get(4), (Integer) l.get(5), (Integer) l.get(6), (Integer) l.get(7), (Boolean) l.get(8),
                        (Boolean) l.get(9), (Integer) l.get(10), (Integer) l.get(11), (Integer) l.get(12),
                        (Integer) l.get(13), (Integer) l.get(14), (Integer) l.get(15));
                e.rxtshift = (Integer) l.get(16);
                e.deadline = now + (Long) l.get(17);
                e.fromCookie = (Boolean) l.get(18);
                Bucket b = bucket(e.laddr, e.lport, e.faddr, e.fport);
                b.lock.lock();
                try {
                    b.entries.add(e);
                } finally {
                    b.lock.unlock();
                }
                count.incrementAndGet();
            } catch (ClassCastException | NullPointerException x) {
                throw TcpTransfer.bad("SYN cache entry " + o);
            }
        }
        if (count.get() > 0 && !timer.pending()) {
            timer.reset(TICK_MS, TimeUnit.MILLISECONDS);
        }
    }
}
