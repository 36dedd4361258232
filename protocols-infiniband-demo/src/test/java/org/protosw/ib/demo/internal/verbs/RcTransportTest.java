package org.protosw.ib.demo.internal.verbs;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.MessageDigest;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.protosw.ib.demo.Await;
import org.protosw.ib.demo.internal.verbs.IbStats.Counter;

/**
 * The RC transport over an in-memory link: messages of many sizes (SEND and, above the
 * threshold, RDMA WRITE with immediate) arrive whole, in order, SHA-256 intact, over a clean
 * link, with loss and with reordering; the counters show how it recovered.
 */
class RcTransportTest {
    private static final long SERVICE = 0x1000;
    private MemLink link;

    @AfterEach
    void close() {
        if (link != null) {
            link.close();
        }
    }

    /** Connects A to B's listener; returns {client, server}. */
    private Endpoint[] connect(IbConfig cfg, long seed) throws Exception {
        link = new MemLink(seed, cfg);
        AtomicReference<Endpoint> server = new AtomicReference<>();
        CompletableFuture<Void> serverUp = new CompletableFuture<>();
        link.b.cm().listen(SERVICE, req -> {
            Endpoint e = new Endpoint(link.b);
            server.set(e);
            return new CmAgent.Accept(e.qp, 1 << 20, new CmAgent.Handler() {
                @Override
                public void established(int peerMax) {
                    serverUp.complete(null);
                }
            });
        });
        Endpoint client = new Endpoint(link.a);
        CompletableFuture<Integer> up = new CompletableFuture<>();
        assertThat(link.a.cm().connect(MemLink.GID_B, SERVICE, client.qp, 5, 1 << 20, new CmAgent.Handler() {
            @Override
            public void established(int peerMax) {
                up.complete(peerMax);
            }

            @Override
            public void refused(int reason) {
                up.completeExceptionally(new AssertionError("refused " + reason));
            }

            @Override
            public void timedOut() {
                up.completeExceptionally(new AssertionError("timed out"));
            }
        })).isTrue();
        assertThat(up.get(30, TimeUnit.SECONDS)).isEqualTo(1 << 20);
        assertThat(client.qp.state()).isEqualTo(QpState.RTS);
        return new Endpoint[] {client, server.get()};
    }

    /** Sends messages of random sizes (1 byte .. 64 KiB) totalling {@code bytes}; checks they arrive whole and in order. */
    private void transfer(Endpoint from, Endpoint to, long bytes, long seed) throws Exception {
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        MessageDigest got = MessageDigest.getInstance("SHA-256");
        SplittableRandom r = new SplittableRandom(seed);
        long total = 0;
        int count = 0;
        CompletableFuture<long[]> reader = CompletableFuture.supplyAsync(() -> {
            long n = 0;
            int msgs = 0;
            try {
                while (n < bytes) {
                    WorkCompletion wc = to.received.poll(60, TimeUnit.SECONDS);
                    if (wc == null) {
                        throw new AssertionError("nothing arrived for 60 s after " + n + " bytes");
                    }
                    got.update(ByteArrays.lengthPrefix(wc.data().length));
                    got.update(wc.data());
                    n += wc.data().length;
                    msgs++;
                }
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            return new long[] {n, msgs};
        });
        while (total < bytes) {
            int len = (int) Math.min(bytes - total, r.nextInt(4) == 0 ? 1 + r.nextInt(64 * 1024) : 1 + r.nextInt(4096));
            byte[] m = new byte[len];
            r.nextBytes(m);
            sent.update(ByteArrays.lengthPrefix(len));
            sent.update(m);
            from.send(m);
            total += len;
            count++;
        }
        long[] res = reader.get(5, TimeUnit.MINUTES);
        assertThat(res[0]).isEqualTo(total);
        assertThat(res[1]).isEqualTo(count);
        assertThat(got.digest()).isEqualTo(sent.digest());
        Await.until("from.qp.sendIdle", Duration.ofSeconds(60), from.qp::sendIdle);
        assertThat(from.sendErrors).isEmpty();
    }

    @Test
    void cleanLinkNeedsNoRetransmissionAndCoalescesAcks() throws Exception {
        Endpoint[] e = connect(new IbConfig(), 1);
        transfer(e[0], e[1], 16 << 20, 7);
        IbStats a = link.a.stats();
        IbStats b = link.b.stats();
        assertThat(a.get(Counter.RETRANSMITS)).isZero();
        assertThat(a.get(Counter.RDMA_WRITES_SENT)).isPositive();
        assertThat(b.get(Counter.RDMA_WRITES_RCVD)).isEqualTo(a.get(Counter.RDMA_WRITES_SENT));
        assertThat(b.get(Counter.MSGS_RCVD)).isEqualTo(a.get(Counter.MSGS_SENT));
        // one ACK per message end or per 16 packets, not one per packet
        assertThat(b.get(Counter.ACKS_SENT)).isLessThan(b.get(Counter.PKTS_RCVD));
        assertThat(e[0].qp.info().retransmits()).isZero();
    }

    @Test
    void onePercentLoss() throws Exception {
        IbConfig cfg = new IbConfig();
        Endpoint[] e = connect(cfg, 2);
        link.loss = 0.01;
        transfer(e[0], e[1], 16 << 20, 8);
        assertThat(link.a.stats().get(Counter.RETRANSMITS)).isPositive();
        assertThat(link.b.stats().get(Counter.OUT_OF_SEQUENCE)).isPositive();
        assertThat(link.b.stats().get(Counter.SEQ_NAKS_SENT)).isPositive();
    }

    @Test
    void fivePercentLossBothWays() throws Exception {
        Endpoint[] e = connect(new IbConfig(), 3);
        link.loss = 0.05;
        CompletableFuture<Void> back = CompletableFuture.runAsync(() -> {
            try {
                transfer(e[1], e[0], 4 << 20, 10);
            } catch (Exception x) {
                throw new AssertionError(x);
            }
        });
        transfer(e[0], e[1], 8 << 20, 9);
        back.get(5, TimeUnit.MINUTES);
        assertThat(link.a.stats().get(Counter.RETRANSMITS)).isPositive();
        assertThat(link.b.stats().get(Counter.RETRANSMITS)).isPositive();
        assertThat(link.a.stats().get(Counter.TIMEOUTS) + link.b.stats().get(Counter.TIMEOUTS)).isPositive();
    }

    @Test
    void reordering() throws Exception {
        Endpoint[] e = connect(new IbConfig(), 4);
        link.reorder = true;
        transfer(e[0], e[1], 8 << 20, 11);
        assertThat(link.b.stats().get(Counter.OUT_OF_SEQUENCE)).isPositive();
        assertThat(link.a.stats().get(Counter.RETRANSMITS)).isPositive();
    }

    @Test
    void receiverWithoutBuffersAnswersRnrUntilItPostsSome() throws Exception {
        Endpoint[] e = connect(new IbConfig(), 5);
        e[1].recvOpen = false;
        byte[] small = new byte[100];
        byte[] large = new byte[100_000];
        new SplittableRandom(3).nextBytes(large);
        e[0].send(small);
        e[0].send(large);
        Await.until("() -> link.b.stats().get(Counter.RNR_NAKS_SENT) >= 3", Duration.ofSeconds(30), () -> link.b.stats().get(Counter.RNR_NAKS_SENT) >= 3);
        assertThat(e[1].received).isEmpty();
        assertThat(link.a.stats().get(Counter.RNR_NAKS_RCVD)).isPositive();
        assertThat(e[0].qp.info().rnrNaksRcvd()).isPositive();
        e[1].recvOpen = true;
        WorkCompletion first = e[1].received.poll(30, TimeUnit.SECONDS);
        WorkCompletion second = e[1].received.poll(30, TimeUnit.SECONDS);
        assertThat(first.data()).isEqualTo(small);
        assertThat(second.data()).isEqualTo(large);
        assertThat(second.opcode()).isEqualTo(WorkCompletion.RECV_RDMA_WITH_IMM);
        assertThat(e[0].qp.state()).isEqualTo(QpState.RTS);
    }

    @Test
    void rnrRetriesExhausted() throws Exception {
        IbConfig cfg = new IbConfig();
        cfg.rnrRetry = 2;
        Endpoint[] e = connect(cfg, 6);
        e[1].recvOpen = false;
        e[0].send(new byte[10]);
        WorkCompletion wc = e[0].sendErrors.poll(30, TimeUnit.SECONDS);
        assertThat(wc.status()).isEqualTo(WcStatus.RNR_RETRY_EXC_ERR);
        assertThat(e[0].qp.state()).isEqualTo(QpState.ERROR);
        Await.until("the fatal event", Duration.ofSeconds(30), () -> e[0].fatal.get() != null);
        assertThat(e[0].fatal.get()).isEqualTo(WcStatus.RNR_RETRY_EXC_ERR);
        assertThat(link.b.stats().get(Counter.RNR_NAKS_SENT)).isEqualTo(3);
    }

    @Test
    void retriesExhaustedMovesTheQpToError() throws Exception {
        IbConfig cfg = new IbConfig();
        cfg.timeoutCode = 10; // 4 ms
        cfg.retryCount = 3;
        Endpoint[] e = connect(cfg, 7);
        link.cut = true;
        e[0].send(new byte[5000]);
        e[0].send(new byte[10]);
        WorkCompletion wc = e[0].sendErrors.poll(30, TimeUnit.SECONDS);
        assertThat(wc.status()).isEqualTo(WcStatus.RETRY_EXC_ERR);
        assertThat(e[0].sendErrors.poll(30, TimeUnit.SECONDS).status()).isEqualTo(WcStatus.WR_FLUSH_ERR);
        assertThat(e[0].qp.state()).isEqualTo(QpState.ERROR);
        Await.until("the fatal event", Duration.ofSeconds(30), () -> e[0].fatal.get() != null);
        assertThat(e[0].fatal.get()).isEqualTo(WcStatus.RETRY_EXC_ERR);
        assertThat(e[0].qp.info().timeouts()).isEqualTo(4);
        assertThat(link.a.stats().get(Counter.RETRY_EXCEEDED)).isEqualTo(1);
    }

    @Test
    void noListenerIsRefusedWithInvalidServiceId() throws Exception {
        link = new MemLink(8, new IbConfig());
        Endpoint client = new Endpoint(link.a);
        CompletableFuture<Integer> refused = new CompletableFuture<>();
        link.a.cm().connect(MemLink.GID_B, 0x4242, client.qp, 5, 1000, new CmAgent.Handler() {
            @Override
            public void refused(int reason) {
                refused.complete(reason);
            }
        });
        assertThat(refused.get(30, TimeUnit.SECONDS)).isEqualTo(org.protosw.ib.demo.internal.wire.Mad.REJ_INVALID_SERVICE_ID);
        assertThat(link.b.stats().get(Counter.CM_REJ_SENT)).isEqualTo(1);
        assertThat(link.a.stats().get(Counter.CM_REJ_RCVD)).isEqualTo(1);
    }

    @Test
    void connectionSetUpSurvivesLoss() throws Exception {
        IbConfig cfg = new IbConfig();
        cfg.cmTimeoutMillis = 20;
        link = null;
        for (long seed = 20; seed < 30; seed++) {
            MemLink old = link;
            if (old != null) {
                old.close();
            }
            Endpoint[] e = connectLossy(cfg, seed);
            e[0].send(new byte[] {1, 2, 3});
            assertThat(e[1].received.poll(30, TimeUnit.SECONDS).data()).containsExactly(1, 2, 3);
        }
    }

    private Endpoint[] connectLossy(IbConfig cfg, long seed) throws Exception {
        link = new MemLink(seed, cfg);
        link.loss = 0.3;
        AtomicReference<Endpoint> server = new AtomicReference<>();
        link.b.cm().listen(SERVICE, req -> {
            Endpoint e = new Endpoint(link.b);
            server.set(e);
            return new CmAgent.Accept(e.qp, 1000, new CmAgent.Handler() {
            });
        });
        Endpoint client = new Endpoint(link.a);
        CompletableFuture<Void> up = new CompletableFuture<>();
        link.a.cm().connect(MemLink.GID_B, SERVICE, client.qp, 5, 1000, new CmAgent.Handler() {
            @Override
            public void established(int peerMax) {
                up.complete(null);
            }

            @Override
            public void timedOut() {
                up.completeExceptionally(new AssertionError("timed out"));
            }
        });
        up.get(30, TimeUnit.SECONDS);
        return new Endpoint[] {client, server.get()};
    }

    @Test
    void malformedInputIsCountedAndDropped() throws Exception {
        Endpoint[] e = connect(new IbConfig(), 9);
        int qpn = e[1].qp.qpn;
        byte[] badVersion = packet(0x04, qpn, 0, 8);
        badVersion[1] |= 0x01;
        link.b.input(MemLink.GID_A, badVersion, 0, badVersion.length);
        byte[] shortReth = packet(0x06, qpn, 0, 0);
        link.b.input(MemLink.GID_A, shortReth, 0, shortReth.length);
        byte[] badAeth = packet(0x11, e[0].qp.qpn, 4, 0);
        badAeth[12] = 0x40;
        link.a.input(MemLink.GID_B, badAeth, 0, badAeth.length);
        byte[] badKey = packet(0x0a, qpn, 16, 16); // RDMA WRITE ONLY with a wrong R_Key, at the PSN expected
        badKey[9] = (byte) (e[1].qp.info().rqPsn() >>> 16);
        badKey[10] = (byte) (e[1].qp.info().rqPsn() >>> 8);
        badKey[11] = (byte) e[1].qp.info().rqPsn();
        link.b.input(MemLink.GID_A, badKey, 0, badKey.length);
        link.b.input(MemLink.GID_A, new byte[7], 0, 7);
        assertThat(link.b.stats().get(Counter.BAD_VERSION)).isEqualTo(1);
        assertThat(link.b.stats().get(Counter.BAD_TRUNCATED)).isEqualTo(2);
        assertThat(link.a.stats().get(Counter.BAD_AETH)).isEqualTo(1);
        assertThat(link.b.stats().get(Counter.BAD_RETH)).isEqualTo(1);
        // a write outside the offered region is a remote access error: both ends fail
        Await.until("() -> e[0].qp.state() == QpState.ERROR", Duration.ofSeconds(30), () -> e[0].qp.state() == QpState.ERROR);
        assertThat(e[1].qp.state()).isEqualTo(QpState.ERROR);
    }

    private static byte[] packet(int op, int qpn, int ext, int payload) {
        byte[] b = new byte[12 + ext + payload + 4];
        b[0] = (byte) op;
        b[1] = 0x40;
        b[2] = b[3] = (byte) 0xff;
        b[5] = (byte) (qpn >>> 16);
        b[6] = (byte) (qpn >>> 8);
        b[7] = (byte) qpn;
        return b;
    }
}
