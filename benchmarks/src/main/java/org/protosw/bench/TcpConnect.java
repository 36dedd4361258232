package org.protosw.bench;

import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicLong;

import org.protosw.internal.kern.StandaloneStack;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.NetStack;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;

/**
 * Connection rate: one thread connects to a listener on 127.0.0.1, accepts the connection,
 * closes the client end and then the accepted one. The client closes with SO_LINGER 0 on
 * both stacks (a RST, as load generators do): no TIME_WAIT piles up, so the kernel side
 * does not run out of ephemeral ports during a long run.
 */
final class TcpConnect implements BenchCase {
    private static final String FORMAT = "%,.0f connections/s";

    @Override
    public String unit() {
        return "connect+accept+close/s (client SO_LINGER 0)";
    }

    @Override
    public double protosw(double seconds, PrintStream progress) throws Exception {
        try (StandaloneStack st = Protosw.withTcp(); Socket l = st.stack().socket(AF_INET, SOCK_STREAM, 0)) {
            NetStack stack = st.stack();
            l.bind(InetSockAddr.of("127.0.0.1", 0));
            l.listen(128);
            SockAddr to = l.localAddress();
            Workers w = new Workers();
            AtomicLong done = new AtomicLong();
            w.start("bench-connect", () -> {
                while (w.running()) {
                    Socket c = stack.socket(AF_INET, SOCK_STREAM, 0);
                    c.setOption(SockOpt.SO_LINGER, 0);
                    c.connect(to);
                    Socket s = l.accept();
                    c.close();
                    s.close();
                    done.lazySet(done.get() + 1);
                }
            });
            double r = w.measure(seconds, progress, done::get, 1, FORMAT);
            w.stop(l::close);
            return r;
        }
    }

    @Override
    public double kernel(double seconds, PrintStream progress) throws Exception {
        try (ServerSocketChannel l = ServerSocketChannel.open()) {
            l.bind(new InetSocketAddress("127.0.0.1", 0), 128);
            InetSocketAddress to = (InetSocketAddress) l.getLocalAddress();
            Workers w = new Workers();
            AtomicLong done = new AtomicLong();
            w.start("bench-connect-kernel", () -> {
                while (w.running()) {
                    SocketChannel c = SocketChannel.open();
                    c.setOption(StandardSocketOptions.SO_LINGER, 0);
                    c.connect(to);
                    SocketChannel s = l.accept();
                    c.close();
                    s.close();
                    done.lazySet(done.get() + 1);
                }
            });
            double r = w.measure(seconds, progress, done::get, 1, FORMAT);
            w.stop(l::close);
            return r;
        }
    }
}
