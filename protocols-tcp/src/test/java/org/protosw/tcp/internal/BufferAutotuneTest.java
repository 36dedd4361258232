package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.tcp.internal.TcpTestbed.*;

import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;

/**
 * Bulk transfers with the default buffers over an epair with 10 ms each way (20 ms RTT), where
 * the 64 KiB receive window allows some 3 MB/s: once with autotuning off, once on. With it on
 * both buffers must grow; the rates are printed, not asserted.
 */
class BufferAutotuneTest {
    private static final int SIZE = 4 << 20;

    private record Result(int sndbuf, int rcvbuf, long rcvSteps, long sndSteps, double mbps) {
    }

    private Result transfer(boolean auto) throws Exception {
        try (TcpTestbed tb = new TcpTestbed()) {
            tb.pipes("delay 10ms");
            for (var v : new org.protosw.internal.kern.Vnet[] {tb.a, tb.b}) {
                v.sysctl().find(TcpProtocol.SYSCTL_RECVBUF_AUTO).set(auto ? 1 : 0);
                v.sysctl().find(TcpProtocol.SYSCTL_SENDBUF_AUTO).set(auto ? 1 : 0);
            }
            byte[] data = randomBytes(SIZE, 5);
            try (Socket l = tcpSocket(tb.b)) {
                l.bind(new InetSockAddr(B, 8300));
                l.listen(4);
                Future<Object[]> server = tb.async(() -> {
                    try (Socket c = l.accept()) {
                        byte[] got = readAll(c, SIZE + 1);
                        return new Object[] {got, c.getOption(SockOpt.SO_RCVBUF)};
                    }
                });
                try (Socket c = tcpSocket(tb.a)) {
                    c.connect(new InetSockAddr(B, 8300));
                    long start = System.nanoTime();
                    sendAll(c, data, 64 * 1024);
                    int sndbuf = c.getOption(SockOpt.SO_SNDBUF);
                    c.shutdown(SocketConstants.SHUT_WR);
                    Object[] r = server.get(60, TimeUnit.SECONDS);
                    double secs = (System.nanoTime() - start) / 1e9;
                    byte[] got = (byte[]) r[0];
                    assertThat(got.length).isEqualTo(SIZE);
                    assertThat(sha256(got)).isEqualTo(sha256(data));
                    return new Result(sndbuf, (Integer) r[1], tb.stat(tb.b, "receive buffer autotuning steps"),
                            tb.stat(tb.a, "send buffer autotuning steps"), SIZE * 8 / secs / 1e6);
                }
            }
        }
    }

    @Test
    void buffersGrowWhenTheWindowIsTheLimit() throws Exception {
        Result off = transfer(false);
        Result on = transfer(true);
        System.out.printf("4 MiB over 20 ms RTT with default buffers: autotuning off %.1f Mbit/s (SO_SNDBUF %d,"
                + " SO_RCVBUF %d); on %.1f Mbit/s (SO_SNDBUF %d after %d steps, SO_RCVBUF %d after %d steps)%n",
                off.mbps, off.sndbuf, off.rcvbuf, on.mbps, on.sndbuf, on.sndSteps, on.rcvbuf, on.rcvSteps);
        assertThat(off.rcvSteps).isZero();
        assertThat(on.rcvSteps).isPositive();
        assertThat(on.rcvbuf).isGreaterThan(off.rcvbuf);
        assertThat(on.sndbuf).isGreaterThan(off.sndbuf);
    }
}
