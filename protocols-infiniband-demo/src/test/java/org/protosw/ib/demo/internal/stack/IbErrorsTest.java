package org.protosw.ib.demo.internal.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.protosw.socket.SocketConstants.SOCK_SEQPACKET;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.protosw.ib.demo.Await;
import org.protosw.ib.demo.IbSockAddr;
import org.protosw.ib.demo.internal.verbs.IbStats.Counter;
import org.protosw.ib.demo.internal.verbs.QpState;
import org.protosw.ib.demo.internal.verbs.QueuePair;
import org.protosw.ib.demo.internal.verbs.WcStatus;
import org.protosw.ib.demo.internal.wire.Aeth;
import org.protosw.ib.demo.internal.wire.Bth;
import org.protosw.ib.demo.internal.wire.IbOpcode;
import org.protosw.ib.demo.internal.wire.Reth;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.net.PipeConfig;
import org.protosw.socket.Errno;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/**
 * What goes wrong, as an application and the counters see it, across the real stack: a
 * receiver with no room (RNR NAK until it reads), a cut link (retries exhausted: the QP goes
 * to ERROR, the application gets ETIMEDOUT), a service nobody listens on (REJ:
 * ECONNREFUSED), and malformed RoCEv2 input arriving through UDP (counted by reason,
 * dropped, the connection unharmed), an RDMA WRITE with a wrong R_Key (refused: both ends
 * reset).
 */
class IbErrorsTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private final IbLab lab;

    IbErrorsTest() throws Exception {
        lab = new IbLab();
    }

    @AfterEach
    void tearDown() {
        lab.close();
    }

    private static Errno errno(ThrowingCall c) {
        try {
            c.run();
        } catch (SocketException e) {
            return e.errno();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("no error");
    }

    interface ThrowingCall {
        void run() throws Exception;
    }

    /** The only QP of a vnet that belongs to a connection (listeners have none). */
    private QueuePair qp(Vnet v) {
        List<QueuePair> qps = lab.ib(v).hca().qps();
        assertThat(qps).as("QPs in " + v.name()).hasSize(1);
        return qps.get(0);
    }

    private long protoStat(String proto, Vnet v, String key) {
        Long n = lab.stack.core().registry().entry(proto).instance(v.name()).statistics().get(key);
        assertThat(n).as(key).isNotNull();
        return n;
    }

    @Test
    void aReceiverWithoutRoomAnswersRnrUntilItReads() throws Exception {
        Socket[] p = lab.connect(SOCK_SEQPACKET, 0x3003);
        // the receive buffer is the posted receive queue: room for two of the ten messages
        p[1].setOption(SockOpt.SO_RCVBUF, 8192);
        List<byte[]> sent = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < 10; i++) {
            byte[] m = new byte[4000];
            r.nextBytes(m);
            sent.add(m);
            p[0].send(ByteBuffer.wrap(m));
        }
        Await.until("RNR NAKs sent by the receiver", WAIT, () -> lab.stat(lab.b, Counter.RNR_NAKS_SENT) >= 3);
        Await.until("RNR NAKs heard by the sender", WAIT, () -> lab.stat(lab.a, Counter.RNR_NAKS_RCVD) >= 3);
        assertThat(lab.stat(lab.b, Counter.MSGS_RCVD)).as("messages the receiver took").isEqualTo(2);
        assertThat(qp(lab.a).info().rnrNaksRcvd()).isPositive();
        assertThat(qp(lab.a).state()).isEqualTo(QpState.RTS);
        // the application reads: room again, and the rest comes, whole and in order
        ByteBuffer in = ByteBuffer.allocate(8192);
        for (int i = 0; i < 10; i++) {
            in.clear();
            int n = p[1].recv(in);
            assertThat(n).as("message " + i).isEqualTo(4000);
            assertThat(java.util.Arrays.copyOf(in.array(), n)).as("message " + i).isEqualTo(sent.get(i));
        }
        assertThat(lab.stat(lab.b, Counter.MSGS_RCVD)).isEqualTo(10);
        assertThat(lab.stat(lab.a, Counter.RNR_RETRY_EXCEEDED)).isZero();
        p[0].close();
        p[1].close();
    }

    @Test
    void retriesExhaustedMoveTheQpToErrorAndTheApplicationSeesEtimedout() throws Exception {
        lab.a.sysctl().find(IbTunables.TIMEOUT).set(10); // 4 ms
        lab.a.sysctl().find(IbTunables.RETRY_CNT).set(3);
        Socket[] p = lab.connect(SOCK_SEQPACKET, 0x3002);
        // the link goes dead from a to b
        lab.a.pipes().config(1, PipeConfig.parse("plr 1"));
        lab.a.pipes().attach(1, lab.pair.a(), false);
        p[0].send(ByteBuffer.wrap(new byte[5000]));
        assertThat(errno(() -> p[0].recv(ByteBuffer.allocate(100)))).isEqualTo(Errno.ETIMEDOUT);
        QueuePair.QpInfo i = qp(lab.a).info();
        assertThat(i.state()).isEqualTo(QpState.ERROR);
        assertThat(i.failure()).isEqualTo(WcStatus.RETRY_EXC_ERR);
        assertThat(i.timeouts()).as("retry_cnt 3: four timeouts").isEqualTo(4);
        assertThat(lab.stat(lab.a, Counter.RETRY_EXCEEDED)).isEqualTo(1);
        assertThat(protoStat("ib-rc", lab.a, "connections timed out (ETIMEDOUT)")).isEqualTo(1);
        assertThat(errno(() -> p[0].send(ByteBuffer.wrap(new byte[1])))).isEqualTo(Errno.EPIPE);
        p[0].close();
        p[1].close();
        Await.until("the failed QP destroyed with its socket", WAIT, () -> lab.ib(lab.a).hca().qps().isEmpty());
    }

    @Test
    void aServiceNobodyListensOnIsRefused() throws Exception {
        for (int type : new int[] {SOCK_SEQPACKET, SOCK_STREAM}) {
            try (Socket s = IbLab.socket(lab.a, type)) {
                assertThat(errno(() -> s.connect(new IbSockAddr(IbLab.GID_B, 0x7777)))).isEqualTo(Errno.ECONNREFUSED);
            }
        }
        assertThat(lab.stat(lab.b, Counter.CM_REJ_SENT)).isEqualTo(2);
        assertThat(lab.stat(lab.a, Counter.CM_REJ_RCVD)).isEqualTo(2);
        assertThat(protoStat("ib-rc", lab.a, "connections refused (ECONNREFUSED)")).isEqualTo(1);
        assertThat(protoStat("ib-sdp", lab.a, "connections refused (ECONNREFUSED)")).isEqualTo(1);
        // a listener of the other type refuses too (the REQ names the socket type)
        try (Socket l = IbLab.listener(lab.b, SOCK_STREAM, 0x7778); Socket s = IbLab.socket(lab.a, SOCK_SEQPACKET)) {
            assertThat(errno(() -> s.connect(new IbSockAddr(IbLab.GID_B, 0x7778)))).isEqualTo(Errno.ECONNREFUSED);
        }
    }

    @Test
    void malformedInputIsCountedByReasonAndDropped() throws Exception {
        Socket[] p = lab.connect(SOCK_SEQPACKET, 0x3004);
        int qpn = qp(lab.b).qpn;
        int psn = qp(lab.b).info().rqPsn();
        try (Inject inj = new Inject(lab.a, IbLab.A, IbLab.B)) {
            byte[] badVersion = Inject.ib(IbOpcode.RC_SEND_ONLY, qpn, psn, 0, 8);
            badVersion[Bth.OFF_FLAGS] |= 0x01; // TVer 1
            inj.send(badVersion, false);
            // RDMA WRITE FIRST needs a 16-byte RETH: 4 bytes are there
            inj.send(Inject.ib(IbOpcode.RC_RDMA_WRITE_FIRST, qpn, psn, 4, 0), false);
            byte[] badAeth = Inject.ib(IbOpcode.RC_ACK, qpn, psn, Aeth.LENGTH, 0);
            badAeth[Bth.LENGTH] = 0x40; // syndrome kind 0b10: reserved
            inj.send(badAeth, false);
            inj.send(Inject.ib(0x1f, qpn, psn, 0, 8), false);
            inj.send(Inject.ib(IbOpcode.RC_SEND_ONLY, qpn, psn, 0, 8), true);
            inj.send(new byte[10], false);
        }
        Await.until("all six counted", WAIT, () -> lab.stat(lab.b, Counter.BAD_VERSION) == 1 && lab.stat(lab.b, Counter.BAD_OPCODE) == 1
                && lab.stat(lab.b, Counter.BAD_AETH) == 1 && lab.stat(lab.b, Counter.BAD_ICRC) == 1
                && lab.stat(lab.b, Counter.BAD_TRUNCATED) == 2);
        assertThat(lab.stat(lab.b, Counter.MSGS_RCVD)).as("nothing of it delivered").isZero();
        // the connection did not notice
        p[0].send(ByteBuffer.wrap("still here".getBytes(StandardCharsets.US_ASCII)));
        ByteBuffer in = ByteBuffer.allocate(64);
        int n = p[1].recv(in);
        assertThat(new String(in.array(), 0, n, StandardCharsets.US_ASCII)).isEqualTo("still here");
        assertThat(qp(lab.b).state()).isEqualTo(QpState.RTS);
        assertThat(qp(lab.a).state()).isEqualTo(QpState.RTS);
        p[0].close();
        p[1].close();
    }

    @Test
    void anRdmaWriteWithAWrongKeyIsRefusedAndResetsBothEnds() throws Exception {
        Socket[] p = lab.connect(SOCK_SEQPACKET, 0x3005);
        int qpn = qp(lab.b).qpn;
        int psn = qp(lab.b).info().rqPsn();
        try (Inject inj = new Inject(lab.a, IbLab.A, IbLab.B)) {
            byte[] w = Inject.ib(IbOpcode.RC_RDMA_WRITE_ONLY, qpn, psn, Reth.LENGTH, 16);
            new Reth().wrap(w, Bth.LENGTH).write(0x1000, 0x1234, 16);
            inj.send(w, false);
        }
        assertThat(errno(() -> p[1].recv(ByteBuffer.allocate(64)))).isEqualTo(Errno.ECONNRESET);
        assertThat(errno(() -> p[0].recv(ByteBuffer.allocate(64)))).isEqualTo(Errno.ECONNRESET);
        assertThat(lab.stat(lab.b, Counter.BAD_RETH)).isEqualTo(1);
        assertThat(lab.stat(lab.b, Counter.OTHER_NAKS_SENT)).isEqualTo(1);
        // a hears of it twice, by the NAK (the data flow) and by b's DREQ saying reset (the
        // CM's flow): whichever comes first resets it, so the NAK may find its QP gone
        assertThat(protoStat("ib-rc", lab.a, "connections reset by a remote error (ECONNRESET)")).isEqualTo(1);
        assertThat(protoStat("ib-rc", lab.b, "connections reset by a remote error (ECONNRESET)")).isEqualTo(1);
        p[0].close();
        p[1].close();
    }
}
