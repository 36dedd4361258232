package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.protosw.internal.kern.StandaloneStack;
import org.protosw.internal.kern.Vnet;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
import org.protosw.spi.IfAddr;
import org.protosw.spi.Packet;
import org.protosw.tcp.TcpInfo;
import org.protosw.tcp.TcpSockOpts;
import org.protosw.wire.TcpHeader;

/**
 * {@link SynCache} by itself (issue 10), as FreeBSD's syncache(4) behaves: one entry per
 * SYN and a repeated SYN answered again, the bucket and cache limits with what happens at
 * them, SYN cookies (what they carry, which ACKs they accept and refuse), the SYN-ACK
 * retransmission timer and expiry, RSTs, and the exact option bytes of the SYN-ACK that the
 * shared {@code tcp_addoptions} writes. The cache is driven directly where its API allows
 * ({@code add}, {@code expand}, {@code reset} with hand-made segments, the caller's
 * {@code ourMss}/scale/window standing for the listener's); where a listener is needed
 * (the connection a completed handshake makes) real segments go through {@code tcp_input}
 * on the test's thread. What the stack sends is read back from a {@link CaptureLink}.
 */
class SynCacheTest {
    private static final InAddr LOCAL = InAddr.of(192, 0, 2, 1);
    private static final InAddr PEER = InAddr.of(192, 0, 2, 2);
    private static final int PORT = 8080;
    private static final int SYN_ACK = TcpHeader.SYN | TcpHeader.ACK;
    /** In an expected option list: one byte of the SYN-ACK's TS value (checked against the clock). */
    private static final int TSV = -1;

    private StandaloneStack stack;
    private Vnet vnet;
    private CaptureLink link;
    private TcpProtocol tcp;
    private SynCache cache;
    /** The ISS of each peer port's last SYN-ACK. */
    private final Map<Integer, Integer> iss = new HashMap<>();
    /** The sequence number of each peer port's last SYN. */
    private final Map<Integer, Integer> irs = new HashMap<>();

    @BeforeEach
    void setUp() throws Exception {
        stack = new StandaloneStack();
        TcpProtoSw sw = new TcpProtoSw();
        stack.register(sw, TcpProtoSw.PROPERTIES, "org.protosw.tcp (syncache test)");
        vnet = stack.stack();
        link = new CaptureLink("cap0", 1500);
        vnet.attachInterface(link);
        vnet.addAddress(link, new IfAddr(LOCAL, 24, InAddr.of(192, 0, 2, 255)));
        tcp = sw.instance(vnet.name());
        cache = tcp.synCache();
    }

    @AfterEach
    void tearDown() {
        stack.close();
    }

    // ---- one entry per SYN --------------------------------------------------------------

    @Test
    void eachSynMakesOneEntryAndARepeatedSynIsAnsweredWithTheSameSynAck() throws Exception {
        Segment syn = ts(sack(ws(mss(syn(40000, 1000), 1460), 7)), 100, 0);
        long before = nowMs();
        cache.add(syn, 1460, 6, 65535);
        long after = nowMs();
        CaptureLink.Out first = synAckTo(40000);
        assertThat(first.ack()).isEqualTo(1001);
        assertThat(first.window()).isEqualTo(65535);
        assertOptions(first, syn, before, after, 2, 4, 0x05, 0xb4, 1, 3, 3, 6, 4, 2, 8, 10, TSV, TSV, TSV, TSV, 0, 0, 0, 100);
        assertThat(cache.size()).isEqualTo(1);
        assertThat(stat("syncache entries added")).isEqualTo(1);

        // the SYN-ACK was lost, the peer sends its SYN again: the same answer, no second entry
        before = nowMs();
        cache.add(syn, 1460, 6, 65535);
        after = nowMs();
        CaptureLink.Out again = synAckTo(40000);
        assertThat(again.seq()).isEqualTo(first.seq());
        assertThat(again.ack()).isEqualTo(1001);
        assertOptions(again, syn, before, after, 2, 4, 0x05, 0xb4, 1, 3, 3, 6, 4, 2, 8, 10, TSV, TSV, TSV, TSV, 0, 0, 0, 100);
        assertThat(cache.size()).isEqualTo(1);
        assertThat(stat("syncache entries added")).isEqualTo(1);
        assertThat(stat("syncache dupsyn")).isEqualTo(1);

        // another peer port is another half-open connection, with its own ISS
        cache.add(mss(syn(40001, 1000), 1460), 1460, 6, 65535);
        assertThat(synAckTo(40001).seq()).isNotEqualTo(first.seq());
        assertThat(cache.size()).isEqualTo(2);
        assertThat(stat("syncache entries added")).isEqualTo(2);
        assertThat(stat("control packets")).isEqualTo(3);
        assertThat(link.poll()).isNull();
    }

    // ---- the SYN-ACK's options ------------------------------------------------------------

    static Stream<Arguments> offers() {
        return Stream.of(
                Arguments.of("MSS alone", 1, 1, false, false, false, new int[] {2, 4, 0x05, 0xb4}),
                Arguments.of("SACK without timestamps", 1, 1, false, true, false, new int[] {2, 4, 0x05, 0xb4, 1, 1, 4, 2}),
                Arguments.of("window scale alone", 1, 1, true, false, false, new int[] {2, 4, 0x05, 0xb4, 1, 3, 3, 6}),
                Arguments.of("timestamps without SACK", 1, 1, false, false, true,
                        new int[] {2, 4, 0x05, 0xb4, 1, 1, 8, 10, TSV, TSV, TSV, TSV, 0, 0, 0, 77}),
                Arguments.of("SACK and timestamps", 1, 1, false, true, true,
                        new int[] {2, 4, 0x05, 0xb4, 4, 2, 8, 10, TSV, TSV, TSV, TSV, 0, 0, 0, 77}),
                Arguments.of("all, rfc1323=0", 0, 1, true, true, true, new int[] {2, 4, 0x05, 0xb4, 1, 1, 4, 2}),
                Arguments.of("all, rfc1323=2 (scaling only)", 2, 1, true, true, true,
                        new int[] {2, 4, 0x05, 0xb4, 1, 3, 3, 6, 1, 1, 4, 2}),
                Arguments.of("all, rfc1323=3 (timestamps only)", 3, 1, true, true, true,
                        new int[] {2, 4, 0x05, 0xb4, 4, 2, 8, 10, TSV, TSV, TSV, TSV, 0, 0, 0, 77}),
                Arguments.of("all, sack.enable=0", 1, 0, true, true, true,
                        new int[] {2, 4, 0x05, 0xb4, 1, 3, 3, 6, 1, 1, 8, 10, TSV, TSV, TSV, TSV, 0, 0, 0, 77}));
    }

    /** The SYN-ACK offers an option only when the SYN did and the sysctls allow it, in tcp_addoptions' layout. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("offers")
    void theSynAckOffersWhatTheSynOfferedAndTheSysctlsAllow(String name, int rfc1323, int sack, boolean ws, boolean sackOk,
            boolean tstamp, int[] expected) throws Exception {
        sysctl("net.inet.tcp.rfc1323", rfc1323);
        sysctl("net.inet.tcp.sack.enable", sack);
        Segment syn = mss(syn(40000, 1000), 1460);
        if (ws) {
            ws(syn, 2);
        }
        if (sackOk) {
            sack(syn);
        }
        if (tstamp) {
            ts(syn, 77, 0);
        }
        long before = nowMs();
        cache.add(syn, 1460, 6, 65535);
        long after = nowMs();
        assertOptions(synAckTo(40000), syn, before, after, expected);
    }

    @Test
    void theSynAckCarriesTheListenersMssAndWindow() throws Exception {
        cache.add(mss(syn(40000, 1000), 1460), 1000, 0, 20000);
        CaptureLink.Out o = synAckTo(40000);
        assertThat(o.options()).containsExactly(2, 4, 0x03, 0xe8);
        assertThat(o.window()).isEqualTo(20000);
        // a window above 65535 is clipped in the SYN-ACK: its window is never scaled (RFC 7323 §2.2)
        cache.add(ws(mss(syn(40001, 1000), 1460), 2), 1460, 5, 1 << 20);
        o = synAckTo(40001);
        assertThat(o.options()).containsExactly(2, 4, 0x05, 0xb4, 1, 3, 3, 5);
        assertThat(o.window()).isEqualTo(65535);
    }

    // ---- limits ---------------------------------------------------------------------------

    /**
     * Without cookies a SYN for a full bucket evicts the bucket's oldest half-open
     * connection (FreeBSD's syncache_add without syncookies): counted as an overflow and a
     * drop, the new SYN answered, the evicted one's ACK no longer completing anything.
     */
    @Test
    void withoutCookiesAFullBucketGivesWayToTheNewestSyn() throws Exception {
        sysctl("net.inet.tcp.syncookies", 0);
        Collision c = firstCollision();
        int k = c.distinct.size() + 1;
        assertThat(stat("syncache entries added")).isEqualTo(k);
        assertThat(stat("syncache bucket overflow")).isEqualTo(1);
        assertThat(stat("syncache cache overflow")).isZero();
        assertThat(stat("syncache dropped")).isEqualTo(1);
        assertThat(stat("cookies sent")).isZero();
        assertThat(cache.size()).isEqualTo(k - 1);
        assertThat(iss).containsKey(c.newcomer);
        // exactly one earlier entry is gone: the newcomer's bucket mate
        int victim = c.victim;
        assertThat(held(c.distinct)).hasSize(k - 2).doesNotContain(victim);
        assertThat(cache.expand(ack(victim))).isNull();
        SynCache.Entry e = cache.expand(ack(c.newcomer));
        assertThat(e).isNotNull();
        assertThat(e.fport).isEqualTo(c.newcomer);
        assertThat(stat("syncache completed")).isEqualTo(1);
        assertThat(stat("cookies failed")).isZero();
    }

    /** With cookies (the default) a full bucket keeps what it has and answers the new SYN with a cookie. */
    @Test
    void withCookiesAFullBucketKeepsItsEntriesAndSendsACookie() throws Exception {
        Collision c = firstCollision();
        int k = c.distinct.size() + 1;
        assertThat(stat("syncache entries added")).isEqualTo(k - 1);
        assertThat(stat("syncache bucket overflow")).isEqualTo(1);
        assertThat(stat("cookies sent")).isEqualTo(1);
        assertThat(stat("syncache dropped")).isZero();
        assertThat(cache.size()).isEqualTo(k - 1);
        assertThat(held(c.distinct)).containsExactlyInAnyOrderElementsOf(c.distinct);
        // the cookie's ACK makes the connection all the same; the bucket's entry is untouched
        SynCache.Entry e = cache.expand(ack(c.newcomer));
        assertThat(e).isNotNull();
        assertThat(e.iss).isEqualTo(iss.get(c.newcomer));
        assertThat(stat("cookies received")).isEqualTo(1);
        assertThat(stat("syncache completed")).isZero();
        assertThat(cache.expand(ack(c.distinct.get(0)))).isNotNull();
        assertThat(stat("syncache completed")).isEqualTo(1);
    }

    /**
     * A full cache: without cookies a SYN whose bucket is empty is refused (nothing to evict,
     * no SYN-ACK), one whose bucket holds an entry evicts it; with cookies it gets a cookie.
     */
    @Test
    void aFullCacheRefusesEvictsOrSendsACookie() throws Exception {
        sysctl("net.inet.tcp.syncookies", 0);
        Collision c = firstCollision();
        // forget the exploration: a RST at RCV.NXT ends each half-open connection
        for (int p : held(c.distinct)) {
            cache.reset(rst(p, seqOf(p) + 1));
        }
        cache.reset(rst(c.newcomer, seqOf(c.newcomer) + 1));
        assertThat(cache.size()).isZero();
        long added = stat("syncache entries added");
        long dropped = stat("syncache dropped");
        int a = c.distinct.get(0) == c.victim ? c.distinct.get(1) : c.distinct.get(0);
        int b = c.distinct.stream().filter(p -> p != a && p != c.victim).findFirst().orElseThrow();
        sysctl("net.inet.tcp.syncache.bucketlimit", 30);
        sysctl("net.inet.tcp.syncache.cachelimit", 2);
        addSyn(c.victim);
        addSyn(a);
        synAckTo(c.victim);
        synAckTo(a);

        // b's bucket is empty: refused
        cache.add(mss(syn(b, seqOf(b)), 1460), 1460, 6, 65535);
        assertThat(link.poll()).isNull();
        assertThat(stat("syncache cache overflow")).isEqualTo(1);
        assertThat(stat("syncache dropped")).isEqualTo(dropped + 1);
        assertThat(stat("syncache entries added")).isEqualTo(added + 2);
        assertThat(cache.size()).isEqualTo(2);

        // the newcomer's bucket holds the victim: the victim goes, the newcomer is answered
        addSyn(c.newcomer);
        synAckTo(c.newcomer);
        assertThat(stat("syncache cache overflow")).isEqualTo(2);
        assertThat(stat("syncache dropped")).isEqualTo(dropped + 2);
        assertThat(stat("syncache entries added")).isEqualTo(added + 3);
        assertThat(held(List.of(c.victim, a, c.newcomer))).containsExactlyInAnyOrder(a, c.newcomer);

        // with cookies, b gets one and the cache keeps what it holds
        sysctl("net.inet.tcp.syncookies", 1);
        addSyn(b);
        synAckTo(b);
        assertThat(stat("syncache cache overflow")).isEqualTo(3);
        assertThat(stat("cookies sent")).isEqualTo(1);
        assertThat(stat("syncache dropped")).isEqualTo(dropped + 2);
        assertThat(cache.size()).isEqualTo(2);
    }

    // ---- cookies ----------------------------------------------------------------------------

    static Stream<Arguments> cookieOffers() {
        // peer MSS (0: no option), peer window scale (-1: none), SACK; then what the cookie gives back
        return Stream.of(
                Arguments.of(1460, 7, true, 1460, 7, true),
                Arguments.of(1000, 3, false, 536, 2, false),
                Arguments.of(1452, 14, true, 1452, 8, true),
                Arguments.of(9000, 0, false, 1460, 0, false),
                Arguments.of(1440, 6, false, 1440, 6, false),
                Arguments.of(1400, 5, true, 1400, 4, true),
                Arguments.of(1399, 1, false, 1360, 1, false),
                Arguments.of(1200, 2, true, 1200, 2, true),
                Arguments.of(536, -1, true, 536, -1, true),
                Arguments.of(0, -1, false, 536, -1, false));
    }

    /**
     * A cookie keeps nothing but its ISN, whose low bits carry the peer's MSS and window scale
     * rounded down to the cookie's tables (as FreeBSD's tcp_sc_msstab / tcp_sc_wstab) and
     * whether it offered SACK: the ACK gets them back.
     */
    @ParameterizedTest(name = "MSS {0}, wscale {1}, SACK {2} come back as {3}, {4}, {5}")
    @MethodSource("cookieOffers")
    void aCookieCarriesThePeersMssWindowScaleAndSack(int peerMss, int peerWs, boolean peerSack, int mss, int wscale,
            boolean sack) throws Exception {
        sysctl("net.inet.tcp.syncookies_only", 1);
        Segment syn = syn(40000, 1000);
        if (peerMss > 0) {
            mss(syn, peerMss);
        }
        if (peerWs >= 0) {
            ws(syn, peerWs);
        }
        if (peerSack) {
            sack(syn);
        }
        cache.add(syn, 1460, 6, 65535);
        CaptureLink.Out o = synAckTo(40000);
        assertThat(cache.size()).isZero();
        assertThat(stat("cookies sent")).isEqualTo(1);
        assertThat(stat("syncache entries added")).isZero();

        SynCache.Entry e = cache.expand(ack(40000));
        assertThat(e).isNotNull();
        assertThat(e.iss).isEqualTo(o.seq());
        assertThat(e.irs).isEqualTo(1000);
        assertThat(e.peerMss).isEqualTo(mss);
        assertThat(e.peerWs).isEqualTo(wscale);
        assertThat(e.sack).isEqualTo(sack);
        assertThat(e.ts).as("no timestamp on the ACK").isFalse();
        assertThat(stat("cookies received")).isEqualTo(1);
        assertThat(stat("cookies failed")).isZero();
    }

    /**
     * An ACK whose cookie does not check out is refused and counted: a changed MAC, another
     * peer ISN, another four-tuple, or a cookie of the other secret (which was never made,
     * as a cookie older than the previous secret would find it).
     */
    @Test
    void aForgedCookieIsRefusedAndCounted() throws Exception {
        sysctl("net.inet.tcp.syncookies_only", 1);
        cache.add(mss(syn(40000, 1000), 1460), 1460, 6, 65535);
        int cookie = synAckTo(40000).seq();

        assertThat(cache.expand(seg(40000, 1001, (cookie ^ 0x100) + 1, TcpHeader.ACK))).isNull();
        assertThat(cache.expand(seg(40000, 1002, cookie + 1, TcpHeader.ACK))).isNull();
        assertThat(cache.expand(seg(40001, 1001, cookie + 1, TcpHeader.ACK))).isNull();
        assertThat(cache.expand(seg(40000, 1001, (cookie ^ 0x80) + 1, TcpHeader.ACK))).isNull();
        assertThat(stat("cookies failed")).isEqualTo(4);
        assertThat(stat("cookies received")).isZero();

        assertThat(cache.expand(seg(40000, 1001, cookie + 1, TcpHeader.ACK))).isNotNull();
        assertThat(stat("cookies received")).isEqualTo(1);
        assertThat(stat("cookies failed")).isEqualTo(4);

        // with cookies off, an ACK for no entry is not even looked at as a cookie
        sysctl("net.inet.tcp.syncookies_only", 0);
        sysctl("net.inet.tcp.syncookies", 0);
        assertThat(cache.expand(seg(40000, 1001, cookie + 1, TcpHeader.ACK))).isNull();
        assertThat(stat("cookies received")).isEqualTo(1);
        assertThat(stat("cookies failed")).isEqualTo(4);
    }

    /**
     * Through tcp_input with a listener: the ACK of a cookie SYN-ACK becomes an established
     * connection with what the cookie carried (MSS 1000 rounded to 536, less 12 bytes of
     * timestamps the ACK shows; window scale 3 rounded to 2; SACK).
     */
    @Test
    void aValidCookieAckBecomesAConnection() throws Exception {
        sysctl("net.inet.tcp.syncookies_only", 1);
        try (Socket l = listener()) {
            input(CaptureLink.segment(PEER.bits(), 40000, LOCAL.bits(), PORT, 1000, 0, TcpHeader.SYN, 65535,
                    bytes(2, 4, 0x03, 0xe8, 1, 3, 3, 3, 4, 2, 8, 10, 0, 0, 0, 50, 0, 0, 0, 0)));
            CaptureLink.Out synAck = synAckTo(40000);
            int tsVal = java.nio.ByteBuffer.wrap(synAck.options()).getInt(12);
            input(CaptureLink.segment(PEER.bits(), 40000, LOCAL.bits(), PORT, 1001, synAck.seq() + 1, TcpHeader.ACK, 1000,
                    bytes(1, 1, 8, 10, 0, 0, 0, 51, tsVal >>> 24, (tsVal >>> 16) & 0xff, (tsVal >>> 8) & 0xff, tsVal & 0xff)));
            try (Socket c = l.accept()) {
                TcpInfo i = c.getOption(TcpSockOpts.TCP_INFO);
                assertThat(i.state()).isEqualTo("ESTABLISHED");
                assertThat(i.sndMss()).isEqualTo(536 - 12);
                assertThat(i.sndWscale()).isEqualTo(2);
                assertThat(i.rcvWscale()).isEqualTo(6);
                assertThat(i.sackPermitted()).isTrue();
                assertThat(i.timestamps()).isTrue();
                assertThat(((InetSockAddr) c.peerAddress()).port()).isEqualTo(40000);
            }
        }
        assertThat(stat("cookies sent")).isEqualTo(1);
        assertThat(stat("cookies received")).isEqualTo(1);
        assertThat(stat("connection accepts")).isEqualTo(1);
        assertThat(stat("syncache entries added")).isZero();
    }

    // ---- the retransmission timer ---------------------------------------------------------

    static Stream<Arguments> retries() {
        // net.inet.tcp.syn_retries, and how many times the SYN-ACK is sent again (at most three)
        return Stream.of(Arguments.of(0, 0), Arguments.of(2, 2), Arguments.of(6, 3));
    }

    /**
     * An unanswered SYN-ACK goes again with the interval doubled each time (rexmit_initial,
     * then twice, four times that), as many times as syn_retries allows but at most three
     * (FreeBSD's SYNCACHE_MAXREXMTS); then the entry expires and a late ACK completes nothing.
     * The times are lower bounds only: the cache's timer ticks every 100 ms and may be late,
     * never early.
     */
    @ParameterizedTest(name = "syn_retries {0}: {1} retransmissions")
    @MethodSource("retries")
    void anUnansweredSynAckIsSentAgainWithBackoffThenTheEntryExpires(int synRetries, int rexmits) throws Exception {
        sysctl("net.inet.tcp.syncookies", 0);
        sysctl("net.inet.tcp.rexmit_initial", 100);
        sysctl("net.inet.tcp.syn_retries", synRetries);
        long t0 = System.nanoTime();
        cache.add(sack(mss(syn(40000, 1000), 1460)), 1460, 6, 65535);
        List<CaptureLink.Out> sent = new ArrayList<>();
        sent.add(synAckTo(40000));
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (stat("syncache timed out") == 0) {
            assertThat(System.nanoTime()).as("the entry expired within 20 s").isLessThan(deadline);
            CaptureLink.Out o = link.next(50);
            if (o != null) {
                sent.add(o);
            }
        }
        for (CaptureLink.Out o; (o = link.poll()) != null;) {
            sent.add(o);
        }
        assertThat(sent).hasSize(1 + rexmits);
        for (CaptureLink.Out o : sent) {
            assertThat(o.tcp()).as("every copy is the same segment").containsExactly(sent.get(0).tcp());
        }
        long prev = t0;
        for (int i = 1; i < sent.size(); i++) {
            assertThat(sent.get(i).nanos() - prev).as("interval before retransmission %d", i)
                    .isGreaterThanOrEqualTo((100L << (i - 1)) * 1_000_000);
            prev = sent.get(i).nanos();
        }
        assertThat(stat("syncache retransmitted")).isEqualTo(rexmits);
        assertThat(stat("syncache timed out")).isEqualTo(1);
        assertThat(cache.size()).isZero();
        assertThat(cache.expand(ack(40000))).isNull();
        assertThat(stat("syncache completed")).isZero();
    }

    // ---- RST and wrong ACKs ---------------------------------------------------------------

    /** syncache_chkrst: only a RST exactly at the half-open connection's RCV.NXT ends it. */
    @Test
    void aResetAtRcvNxtEndsAHalfOpenConnectionAndNoOtherDoes() throws Exception {
        cache.add(mss(syn(40000, 5000), 1460), 1460, 6, 65535);
        synAckTo(40000);
        cache.reset(rst(40000, 5000));
        cache.reset(rst(40000, 5002));
        cache.reset(rst(40001, 5001));
        assertThat(cache.size()).isEqualTo(1);
        assertThat(stat("syncache reset")).isZero();
        cache.reset(rst(40000, 5001));
        assertThat(cache.size()).isZero();
        assertThat(stat("syncache reset")).isEqualTo(1);
        sysctl("net.inet.tcp.syncookies", 0);
        assertThat(cache.expand(ack(40000))).isNull();
        assertThat(stat("syncache completed")).isZero();
    }

    /**
     * An ACK that does not acknowledge the SYN-ACK is answered with a RST, one from outside
     * the window is dropped; both leave the half-open connection as it was, and the right one
     * completes it.
     */
    @Test
    void aWrongAckIsResetAndTheEntryStays() throws Exception {
        try (Socket l = listener()) {
            input(CaptureLink.segment(PEER.bits(), 40000, LOCAL.bits(), PORT, 1000, 0, TcpHeader.SYN, 65535, bytes(2, 4, 0x05, 0xb4)));
            int s = synAckTo(40000).seq();
            input(CaptureLink.segment(PEER.bits(), 40000, LOCAL.bits(), PORT, 1001, s + 2, TcpHeader.ACK, 65535, bytes()));
            CaptureLink.Out r = link.next(2000);
            assertThat(r).isNotNull();
            assertThat(r.flags()).isEqualTo(TcpHeader.RST);
            assertThat(r.seq()).isEqualTo(s + 2);
            assertThat(r.window()).isZero();
            // the right ACK from a sequence number before the window (the SYN's own) is
            // dropped without a word, as FreeBSD's syncache_expand does; one inside the
            // window would be taken (a peer whose first data was lost answers from beyond it)
            input(CaptureLink.segment(PEER.bits(), 40000, LOCAL.bits(), PORT, 1000, s + 1, TcpHeader.ACK, 65535, bytes()));
            assertThat(link.next(300)).isNull();
            assertThat(stat("syncache segments outside the offered window (dropped)")).isEqualTo(1);
            assertThat(stat("syncache badack")).isEqualTo(1);
            assertThat(stat("resets sent")).isEqualTo(1);
            assertThat(cache.size()).isEqualTo(1);

            input(CaptureLink.segment(PEER.bits(), 40000, LOCAL.bits(), PORT, 1001, s + 1, TcpHeader.ACK, 65535, bytes()));
            try (Socket c = l.accept()) {
                assertThat(c.getOption(TcpSockOpts.TCP_INFO).state()).isEqualTo("ESTABLISHED");
            }
            assertThat(stat("syncache completed")).isEqualTo(1);
            assertThat(cache.size()).isZero();
        }
    }

    // ---- the connection -------------------------------------------------------------------

    /**
     * syncache_socket: the SYN-ACK offers the listener's MSS and window as they were at the
     * SYN; the connection takes the listener's options as they are when the ACK arrives
     * (TCP_MAXSEG, TCP_NODELAY, TCP_CONGESTION, and the socket's SO_RCVBUF and SO_KEEPALIVE),
     * and the window scale its SYN-ACK announced.
     */
    @Test
    void theConnectionTakesTheListenersOptionsAsTheAckFindsThem() throws Exception {
        try (Socket l = listener()) {
            l.setOption(TcpSockOpts.TCP_MAXSEG, 1000);
            l.setOption(SockOpt.SO_RCVBUF, 40000);
            input(CaptureLink.segment(PEER.bits(), 40000, LOCAL.bits(), PORT, 1000, 0, TcpHeader.SYN, 65535,
                    bytes(2, 4, 0x05, 0xb4, 1, 3, 3, 0)));
            CaptureLink.Out synAck = synAckTo(40000);
            assertThat(synAck.options()).containsExactly(2, 4, 0x03, 0xe8, 1, 3, 3, 6);
            assertThat(synAck.window()).isEqualTo(40000);

            l.setOption(TcpSockOpts.TCP_MAXSEG, 900);
            l.setOption(TcpSockOpts.TCP_NODELAY, true);
            l.setOption(TcpSockOpts.TCP_CONGESTION, "newreno");
            l.setOption(SockOpt.SO_RCVBUF, 50000);
            l.setOption(SockOpt.SO_KEEPALIVE, true);
            input(CaptureLink.segment(PEER.bits(), 40000, LOCAL.bits(), PORT, 1001, synAck.seq() + 1, TcpHeader.ACK, 65535, bytes()));
            try (Socket c = l.accept()) {
                assertThat(c.getOption(TcpSockOpts.TCP_MAXSEG)).isEqualTo(900);
                assertThat(c.getOption(TcpSockOpts.TCP_NODELAY)).isTrue();
                assertThat(c.getOption(TcpSockOpts.TCP_CONGESTION)).isEqualTo("newreno");
                assertThat(c.getOption(SockOpt.SO_RCVBUF)).isEqualTo(50000);
                assertThat(c.getOption(SockOpt.SO_KEEPALIVE)).isTrue();
                TcpInfo i = c.getOption(TcpSockOpts.TCP_INFO);
                assertThat(i.rcvWscale()).isEqualTo(6);
                assertThat(i.sndWscale()).isZero();
            }
        }
    }

    /**
     * A handshake completed with no room left in the listen queue, by default (Linux's
     * tcp_abort_on_overflow=0): the ACK is dropped without a word, the half-open connection
     * kept; its SYN-ACK is retransmitted, and once the application accepted one the peer's
     * ACK again completes it. Nobody is reset.
     */
    @Test
    void aHandshakeCompletedIntoAFullListenQueueIsKeptUntilThereIsRoom() throws Exception {
        sysctl("net.inet.tcp.rexmit_initial", 200);
        try (Socket l = listener()) {
            l.listen(1);
            int[] iss = new int[3];
            for (int p = 40000; p < 40003; p++) {
                input(CaptureLink.segment(PEER.bits(), p, LOCAL.bits(), PORT, 1000, 0, TcpHeader.SYN, 65535, bytes(2, 4, 0x05, 0xb4)));
                iss[p - 40000] = synAckTo(p).seq();
                input(CaptureLink.segment(PEER.bits(), p, LOCAL.bits(), PORT, 1001, iss[p - 40000] + 1, TcpHeader.ACK, 65535, bytes()));
            }
            assertThat(stat("listen queue overflows")).isEqualTo(1);
            assertThat(stat("syncache completions kept half-open (listen queue full, ACK dropped)")).isEqualTo(1);
            assertThat(stat("syncache aborted (listen queue full)")).isZero();
            assertThat(cache.size()).as("the third kept half-open").isEqualTo(1);
            // its SYN-ACK again (the timer of the entry), not a RST
            CaptureLink.Out again = link.next(3000);
            assertThat(again).isNotNull();
            assertThat(again.flags()).isEqualTo(TcpHeader.SYN | TcpHeader.ACK);
            assertThat(again.dport()).isEqualTo(40002);
            assertThat(again.seq()).isEqualTo(iss[2]);
            try (Socket first = l.accept()) {
                // room for one more: the peer's ACK, answering that SYN-ACK, completes it
                input(CaptureLink.segment(PEER.bits(), 40002, LOCAL.bits(), PORT, 1001, iss[2] + 1, TcpHeader.ACK, 65535, bytes()));
                assertThat(stat("connection accepts")).isEqualTo(3);
                assertThat(stat("syncache completed")).isEqualTo(3);
                assertThat(cache.size()).isZero();
                for (CaptureLink.Out o = link.poll(); o != null; o = link.poll()) {
                    assertThat(o.flags() & TcpHeader.RST).as("no reset to port %d", o.dport()).isZero();
                }
            }
        }
    }

    /**
     * With net.inet.tcp.syncache.rst_on_sock_fail=1 (FreeBSD's default) a handshake completed
     * with no room left in the listen queue is reset: the entry is used up, the peer gets a
     * RST, and it is counted twice, as a listen queue overflow and as an aborted entry.
     */
    @Test
    void aHandshakeCompletedIntoAFullListenQueueIsResetWithRstOnSockFail() throws Exception {
        sysctl("net.inet.tcp.syncache.rst_on_sock_fail", 1);
        try (Socket l = listener()) {
            l.listen(1);
            // backlog 1 takes one and a half connections, rounded down: one, plus the one over it
            for (int p = 40000; p < 40003; p++) {
                input(CaptureLink.segment(PEER.bits(), p, LOCAL.bits(), PORT, 1000, 0, TcpHeader.SYN, 65535, bytes(2, 4, 0x05, 0xb4)));
                int s = synAckTo(p).seq();
                input(CaptureLink.segment(PEER.bits(), p, LOCAL.bits(), PORT, 1001, s + 1, TcpHeader.ACK, 65535, bytes()));
            }
            CaptureLink.Out r = link.next(2000);
            assertThat(r).isNotNull();
            assertThat(r.flags()).isEqualTo(TcpHeader.RST);
            assertThat(r.dport()).isEqualTo(40002);
            assertThat(link.poll()).isNull();
            assertThat(stat("syncache completed")).isEqualTo(3);
            assertThat(stat("connection accepts")).isEqualTo(2);
            assertThat(stat("listen queue overflows")).isEqualTo(1);
            assertThat(stat("syncache aborted (listen queue full)")).isEqualTo(1);
            assertThat(cache.size()).isZero();
        }
    }

    // ---- helpers ----------------------------------------------------------------------------

    /** Ports whose SYNs found buckets of their own, the first that found one taken, and (without cookies) the entry it evicted. */
    private record Collision(List<Integer> distinct, int newcomer, int victim) {
    }

    /**
     * With one entry per bucket, SYNs from new ports until one lands in a bucket that holds
     * an entry already (the hash is keyed at random, so which port that is can only be
     * seen): with 512 buckets that takes at most 513 ports. Without cookies the victim is
     * the earlier port whose entry went missing; with cookies it stays unknown (-1).
     */
    private Collision firstCollision() throws Exception {
        sysctl("net.inet.tcp.syncache.bucketlimit", 1);
        boolean cookies = tcp.syncookies.get() != 0;
        List<Integer> distinct = new ArrayList<>();
        for (int p = 20000; p < 20000 + SynCache.HASHSIZE + 1; p++) {
            long overflows = stat("syncache bucket overflow");
            addSyn(p);
            synAckTo(p);
            if (stat("syncache bucket overflow") > overflows) {
                int victim = -1;
                if (!cookies) {
                    List<Integer> missing = new ArrayList<>(distinct);
                    missing.removeAll(held(distinct));
                    assertThat(missing).hasSize(1);
                    victim = missing.get(0);
                }
                return new Collision(distinct, p, victim);
            }
            distinct.add(p);
        }
        throw new AssertionError("no two of " + (SynCache.HASHSIZE + 1) + " SYNs shared a bucket");
    }

    /** The ports among {@code ports} the cache holds an entry for: a wrong ACK is counted as a bad ACK only then. */
    private List<Integer> held(List<Integer> ports) {
        List<Integer> out = new ArrayList<>();
        for (int p : ports) {
            long bad = stat("syncache badack");
            assertThat(cache.expand(seg(p, seqOf(p) + 1, iss.get(p) + 2, TcpHeader.ACK))).isNull();
            if (stat("syncache badack") > bad) {
                out.add(p);
            }
        }
        return out;
    }

    private void addSyn(int port) {
        cache.add(mss(syn(port, seqOf(port)), 1460), 1460, 6, 65535);
    }

    private static int seqOf(int port) {
        return port * 1000;
    }

    /** The SYN-ACK just sent to {@code port}, its ISS remembered. */
    private CaptureLink.Out synAckTo(int port) throws InterruptedException {
        CaptureLink.Out o = link.next(2000);
        assertThat(o).as("a SYN-ACK to port %d", port).isNotNull();
        assertThat(o.flags()).as("flags").isEqualTo(SYN_ACK);
        assertThat(o.sport()).isEqualTo(PORT);
        assertThat(o.dport()).isEqualTo(port);
        assertThat(o.dst()).isEqualTo(PEER.bits());
        iss.put(port, o.seq());
        return o;
    }

    /**
     * The SYN-ACK's options are exactly {@code expected}; the four bytes marked {@link #TSV}
     * are its TS value, which is the clock in ms (read around the send) plus the
     * connection's timestamp offset.
     */
    private void assertOptions(CaptureLink.Out o, Segment syn, long beforeMs, long afterMs, int... expected) {
        byte[] got = o.options();
        assertThat(got).hasSize(expected.length);
        int tsAt = -1;
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] == TSV) {
                tsAt = tsAt < 0 ? i : tsAt;
                continue;
            }
            assertThat(got[i] & 0xff).as("option byte %d of %s", i, java.util.HexFormat.of().formatHex(got)).isEqualTo(expected[i]);
        }
        if (tsAt >= 0) {
            int tsVal = java.nio.ByteBuffer.wrap(got).getInt(tsAt);
            int clock = tsVal - tcp.isn().tsOffset(syn.dst, syn.dport, syn.src, syn.sport);
            assertThat(clock - (int) beforeMs).as("TS value less the offset, ms after the clock before sending")
                    .isBetween(0, (int) (afterMs - beforeMs));
        }
    }

    private static long nowMs() {
        return System.nanoTime() / 1_000_000;
    }

    private static Segment seg(int fport, int seq, int ack, int flags) {
        Segment s = new Segment();
        s.src = PEER.bits();
        s.dst = LOCAL.bits();
        s.sport = fport;
        s.dport = PORT;
        s.seq = seq;
        s.ack = ack;
        s.flags = flags;
        s.win = 65535;
        return s;
    }

    private Segment syn(int fport, int seq) {
        irs.put(fport, seq);
        return seg(fport, seq, 0, TcpHeader.SYN);
    }

    /** The ACK that completes {@code port}'s handshake: it follows the SYN and acknowledges the SYN-ACK. */
    private Segment ack(int port) {
        Integer i = iss.get(port);
        Integer r = irs.get(port);
        assertThat(i).as("a SYN-ACK was sent to port %d", port).isNotNull();
        return seg(port, r + 1, i + 1, TcpHeader.ACK);
    }

    private static Segment rst(int port, int seq) {
        return seg(port, seq, 0, TcpHeader.RST);
    }

    private static Segment mss(Segment s, int mss) {
        s.hasMss = true;
        s.mss = mss;
        return s;
    }

    private static Segment ws(Segment s, int ws) {
        s.hasWs = true;
        s.ws = ws;
        return s;
    }

    private static Segment sack(Segment s) {
        s.sackPermitted = true;
        return s;
    }

    private static Segment ts(Segment s, int val, int ecr) {
        s.hasTs = true;
        s.tsVal = val;
        s.tsEcr = ecr;
        return s;
    }

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    private void input(byte[] ipPacket) {
        TcpInput.tcpInput(tcp, Packet.wrap(ipPacket, 0, ipPacket.length), 20);
    }

    private Socket listener() throws Exception {
        Socket l = vnet.socket(SocketConstants.AF_INET, SocketConstants.SOCK_STREAM, SocketConstants.IPPROTO_TCP);
        l.bind(new InetSockAddr(LOCAL, PORT));
        l.listen(8);
        l.setOption(SockOpt.SO_RCVTIMEO, 5000);
        return l;
    }

    private void sysctl(String name, long value) {
        vnet.sysctl().find(name).set(value);
    }

    private long stat(String name) {
        Long v = tcp.statistics().get(name);
        assertThat(v).as("TCP statistic '%s'", name).isNotNull();
        return v;
    }
}
