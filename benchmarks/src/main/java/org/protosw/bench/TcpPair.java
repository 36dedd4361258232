package org.protosw.bench;

import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

import org.protosw.socket.InetSockAddr;
import org.protosw.socket.NetStack;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;
import org.protosw.tcp.TcpSockOpts;

/** One TCP connection over 127.0.0.1, on either stack: the connecting end and the accepted one. */
final class TcpPair {
    private TcpPair() {
    }

    record Protosw(Socket client, Socket server) implements AutoCloseable {
        @Override
        public void close() {
            client.close();
            server.close();
        }
    }

    record Kernel(SocketChannel client, SocketChannel server) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            try (client; server) {
                // both closed, the first failure reported
            }
        }
    }

    /**
     * {@code buffers} above 0 sets SO_SNDBUF and SO_RCVBUF on both ends, the receive buffer
     * before the SYN so that the window scale is chosen for it; 0 keeps the stack's defaults.
     */
    static Protosw protosw(NetStack stack, boolean nodelay, int buffers) throws SocketException {
        try (Socket l = stack.socket(AF_INET, SOCK_STREAM, 0)) {
            l.setOption(SockOpt.SO_REUSEADDR, true);
            Socket c = stack.socket(AF_INET, SOCK_STREAM, 0);
            if (buffers > 0) {
                l.setOption(SockOpt.SO_RCVBUF, buffers);
                c.setOption(SockOpt.SO_RCVBUF, buffers);
                c.setOption(SockOpt.SO_SNDBUF, buffers);
            }
            l.bind(InetSockAddr.of("127.0.0.1", 0));
            l.listen(1);
            c.connect(l.localAddress());
            Socket s = l.accept();
            if (buffers > 0) {
                s.setOption(SockOpt.SO_SNDBUF, buffers);
            }
            if (nodelay) {
                c.setOption(TcpSockOpts.TCP_NODELAY, true);
                s.setOption(TcpSockOpts.TCP_NODELAY, true);
            }
            return new Protosw(c, s);
        }
    }

    /** As {@link #protosw}: Linux then doubles the sizes and stops autotuning them. */
    static Kernel kernel(boolean nodelay, int buffers) throws IOException {
        try (ServerSocketChannel l = ServerSocketChannel.open()) {
            SocketChannel c = SocketChannel.open();
            if (buffers > 0) {
                l.setOption(StandardSocketOptions.SO_RCVBUF, buffers);
                c.setOption(StandardSocketOptions.SO_RCVBUF, buffers);
                c.setOption(StandardSocketOptions.SO_SNDBUF, buffers);
            }
            l.bind(new InetSocketAddress("127.0.0.1", 0), 1);
            c.connect(l.getLocalAddress());
            SocketChannel s = l.accept();
            if (buffers > 0) {
                s.setOption(StandardSocketOptions.SO_SNDBUF, buffers);
            }
            if (nodelay) {
                c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                s.setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
            return new Kernel(c, s);
        }
    }
}
