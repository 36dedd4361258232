package org.protosw.inetd.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SHUT_WR;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.protosw.internal.net.Netns;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/**
 * Bulk TCP through tun0 between Linux (python3 in the namespace) and an application on the
 * stack, each direction, next to kernel-to-kernel TCP over the namespace's own loopback in
 * the same run, for a few TUN MTUs. Prints Gbit/s and the ratio; asserts only that every byte
 * arrived (speed depends on the machine). The receiver times each transfer, from its
 * accept to the sender's FIN.
 *
 * <p>{@code -Dprotosw.tunbench.mib=N} moves N MiB per transfer (default {@value #DEFAULT_MIB}).
 */
class TunThroughputTest {
    private static final int DEFAULT_MIB = 256;
    private static final long BYTES = (long) Integer.getInteger("protosw.tunbench.mib", DEFAULT_MIB) << 20;
    private static final int CHUNK = 1 << 20;

    /** {@code send MODE HOST PORT BYTES} or {@code recv HOST PORT}; the receiver prints "bytes seconds". */
    private static final String PY = """
            import socket,sys,time,threading
            def recv(host,port,ready=None):
                l=socket.socket(); l.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); l.bind((host,port)); l.listen(1)
                if ready: ready.set()
                l.settimeout(60); c,a=l.accept(); c.settimeout(60)
                t0=time.perf_counter(); n=0; b=bytearray(1<<20); m=memoryview(b)
                while True:
                    k=c.recv_into(m)
                    if k==0: break
                    n+=k
                return n,time.perf_counter()-t0
            def send(host,port,total):
                s=socket.create_connection((host,port),timeout=60); b=bytes(1<<20); left=total
                while left>0:
                    k=min(left,len(b)); s.sendall(b[:k] if k<len(b) else b); left-=k
                s.shutdown(socket.SHUT_WR); s.recv(1); s.close()
            mode=sys.argv[1]
            if mode=='recv':
                n,t=recv(sys.argv[2],int(sys.argv[3])); print(n,t)
            elif mode=='send':
                send(sys.argv[2],int(sys.argv[3]),int(sys.argv[4]))
            else:
                ready=threading.Event(); out=[]
                th=threading.Thread(target=lambda: out.append(recv('127.0.0.1',7777,ready))); th.start()
                ready.wait(10); send('127.0.0.1',7777,int(sys.argv[2])); th.join(); print(*out[0])
            """;

    private final ExecutorService pool = Executors.newCachedThreadPool();
    private TunPeer p;

    @AfterEach
    void tearDown() throws InterruptedException {
        try {
            if (p != null) {
                p.close();
            }
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    @ParameterizedTest(name = "mtu {0}")
    @ValueSource(ints = {1500, 9000, 65000})
    void bulkTcpThroughTunBothWaysNextToTheKernelsLoopback(int mtu) throws Exception {
        p = TunPeer.open(mtu);

        double[] loopback = measured(sh("loopback", Long.toString(BYTES)));

        // Linux sends, the stack receives
        double[] toStack;
        try (Socket l = p.vnet().socket(AF_INET, SOCK_STREAM, 0)) {
            l.bind(InetSockAddr.of(TunPeer.STACK, 5001));
            l.listen(1);
            CompletableFuture<Netns.Result> linux = CompletableFuture.supplyAsync(
                    () -> sh("send", TunPeer.STACK, "5001", Long.toString(BYTES)), pool);
            try (Socket c = l.accept()) {
                long t0 = System.nanoTime();
                long n = 0;
                ByteBuffer rx = ByteBuffer.allocateDirect(CHUNK);
                for (int k; (k = c.recv(rx.clear())) > 0;) {
                    n += k;
                }
                toStack = new double[] {n, (System.nanoTime() - t0) / 1e9};
            }
            Netns.Result r = linux.join();
            assertThat(r.exit()).as(r.output()).isZero();
        }

        // the stack sends, Linux receives
        CompletableFuture<Netns.Result> linux = CompletableFuture.supplyAsync(
                () -> sh("recv", TunPeer.LINUX, "5002"), pool);
        try (Socket c = connectWhenListening(InetSockAddr.of(TunPeer.LINUX, 5002))) {
            ByteBuffer tx = ByteBuffer.allocateDirect(CHUNK);
            for (long left = BYTES; left > 0;) {
                tx.clear().limit((int) Math.min(left, CHUNK));
                while (tx.hasRemaining()) {
                    left -= c.send(tx);
                }
            }
            c.shutdown(SHUT_WR);
        }
        double[] fromStack = measured(linux.join());

        assertThat((long) loopback[0]).isEqualTo(BYTES);
        assertThat((long) toStack[0]).isEqualTo(BYTES);
        assertThat((long) fromStack[0]).isEqualTo(BYTES);
        double lo = gbits(loopback);
        System.out.printf(Locale.ROOT, "tun mtu %5d, %d MiB: linux->stack %.2f Gbit/s (%.0f%% of lo), stack->linux %.2f Gbit/s (%.0f%% of lo), kernel lo %.2f Gbit/s%n",
                mtu, BYTES >> 20, gbits(toStack), 100 * gbits(toStack) / lo, gbits(fromStack), 100 * gbits(fromStack) / lo, lo);
    }

    private static double gbits(double[] bytesSeconds) {
        return bytesSeconds[0] * 8 / bytesSeconds[1] / 1e9;
    }

    private static double[] measured(Netns.Result r) {
        assertThat(r.exit()).as(r.output()).isZero();
        String[] f = r.output().strip().split(" ");
        assertThat(f).as(r.output()).hasSize(2);
        return new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1])};
    }

    private Netns.Result sh(String... args) {
        String[] cmd = new String[args.length + 3];
        cmd[0] = "python3";
        cmd[1] = "-c";
        cmd[2] = PY;
        System.arraycopy(args, 0, cmd, 3, args.length);
        return p.ns.exec(120, cmd);
    }

    private Socket connectWhenListening(InetSockAddr to) throws Exception {
        // python listens a moment after it is launched: refused until then
        for (int i = 0; ; i++) {
            Socket so = p.vnet().socket(AF_INET, SOCK_STREAM, 0);
            try {
                so.connect(to);
                return so;
            } catch (SocketException e) {
                so.close();
                if (e.errno() != Errno.ECONNREFUSED || i == 400) {
                    throw e;
                }
                Thread.sleep(25);
            }
        }
    }
}
