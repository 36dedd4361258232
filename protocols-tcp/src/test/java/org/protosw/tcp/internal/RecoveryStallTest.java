package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.tcp.internal.TcpTestbed.*;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.Socket;

/**
 * The stall a full run of TransferMatrixTest met (a writer waiting 600 s; caught again by a
 * stall hunt with the control blocks printed): the sender in SACK recovery, its one hole
 * already retransmitted and that retransmission lost, so RFC 6675's pipe counts the hole twice
 * and fills cwnd, and nothing is sent; the receiver's window had closed and reopened, and
 * reopening left the persist timer in the retransmission timer's place, whose probes send no
 * data in recovery. Nothing ever went out again. Here that state is made by hand on a real
 * connection, and the retransmission timer must be what runs, and repair it.
 */
@Timeout(60)
class RecoveryStallTest {
    private TcpTestbed tb;

    @BeforeEach
    void setUp() throws Exception {
        tb = new TcpTestbed();
    }

    @AfterEach
    void tearDown() {
        tb.close();
    }

    private TcpCb cbOf(Socket s) throws Exception {
        int port = ((InetSockAddr) s.localAddress()).port();
        return tb.tcp(tb.a).table().list().stream().map(i -> i.owner())
                .filter(cb -> cb != null && cb.lport == port).findFirst().orElseThrow();
    }

    @Test
    void dataInFlightInARecoveryThatSendsNothingKeepsTheRetransmissionTimerAndIsRepaired() throws Exception {
        try (Socket l = listener(tb.b, B, 7100, 4); Socket c = tcpSocket(tb.a)) {
            c.connect(new InetSockAddr(B, 7100));
            Socket s = l.accept();
            // 768 bytes sent into a link that loses everything: in flight, unacknowledged
            tb.pipes("plr 1");
            byte[] data = randomBytes(768, 5);
            c.send(ByteBuffer.wrap(data));
            TcpCb cb = cbOf(c);
            assertThat(eventually(5000, () -> {
                cb.lock.lock();
                try {
                    return cb.sndMax - cb.sndUna == 768;
                } finally {
                    cb.lock.unlock();
                }
            })).as("768 bytes in flight").isTrue();

            cb.lock.lock();
            try {
                // what the stalled connection showed: SACK recovery, the hole retransmitted
                // (HighRxt = SND.MAX), cwnd of two segments, the window open, no timer
                assertThat(cb.flags & TcpCb.F_SACK_PERMIT).as("SACK negotiated").isNotZero();
                TcpTimer.stopRexmt(cb);
                cb.flags |= TcpCb.F_FASTRECOVERY;
                cb.recover = cb.sndMax;
                cb.sackBoard.retransmitted(cb.sndMax);
                cb.cwnd = 2L * cb.maxseg;
                TcpOutput.tcpOutput(cb);
                assertThat(cb.persistMode).as("no persist timer with the window open").isFalse();
                assertThat(cb.rexmtTimer.pending()).as("the retransmission timer runs while data are in flight").isTrue();
            } finally {
                cb.unlock();
            }

            // the link heals: the timer's retransmission gets the bytes through
            tb.pipes("plr 0");
            Future<byte[]> got = tb.async(() -> readAll(s, 768));
            assertThat(Arrays.equals(got.get(30, TimeUnit.SECONDS), data)).as("the 768 bytes arrived intact").isTrue();
            s.close();
        }
    }
}
