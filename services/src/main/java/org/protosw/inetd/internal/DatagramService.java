package org.protosw.inetd.internal;

import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.IPPROTO_UDP;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;

import java.nio.ByteBuffer;

import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.NetStack;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * echo, discard or chargen over UDP: one socket bound to the port on every address, one
 * thread that receives and answers. Closing the socket wakes the thread (EBADF), which is
 * how {@link #stop} ends it.
 */
public final class DatagramService extends InetService {
    private static final Logger LOG = LoggerFactory.getLogger(DatagramService.class);
    private static final long JOIN_MS = 5000;
    /** The largest UDP payload IPv4 can carry. */
    private static final int MAX_DGRAM = 65535 - 20 - 8;

    private volatile Socket socket;
    private final Thread thread;

    private DatagramService(String name, ServiceKind kind, NetStack stack, int port, Socket socket) {
        super(name, kind, stack, port, null);
        this.socket = socket;
        this.thread = Thread.ofPlatform().daemon().name("inetd-" + name).unstarted(this::serve);
    }

    static DatagramService start(String name, ServiceKind kind, NetStack stack, int port) throws SocketException {
        if (kind == ServiceKind.HTTP) {
            throw new SocketException(Errno.EPROTOTYPE, "http runs over tcp only");
        }
        DatagramService s = new DatagramService(name, kind, stack, port, bind(stack, port));
        s.thread.start();
        return s;
    }

    private static Socket bind(NetStack stack, int port) throws SocketException {
        Socket so = stack.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
        try {
            // the default send space (FreeBSD's 9216) would refuse to echo a larger datagram;
            // the receive space holds a few of the largest
            so.setOption(SockOpt.SO_SNDBUF, MAX_DGRAM);
            so.setOption(SockOpt.SO_RCVBUF, Math.max(so.getOption(SockOpt.SO_RCVBUF), 4 * MAX_DGRAM));
            so.bind(new InetSockAddr(InAddr.ANY, port));
        } catch (SocketException e) {
            so.close();
            throw e;
        }
        return so;
    }

    @Override
    public String transport() {
        return "udp";
    }

    @Override
    public int activeConnections() {
        return 0;
    }

    private void serve() {
        ByteBuffer buf = ByteBuffer.allocate(65536);
        Chargen chargen = new Chargen();
        ServiceStats st = stats();
        while (!stopping()) {
            buf.clear();
            RecvInfo info;
            Socket socket = this.socket;
            try {
                info = socket.recvfrom(buf, 0);
            } catch (SocketException e) {
                if (stopping()) {
                    return;
                }
                if (abortedUnder(socket, e)) {
                    socket.close();
                    if (!reopen(() -> bind(stack(), port()), e, so -> this.socket = so)) {
                        return;
                    }
                    continue;
                }
                LOG.warn("inetd {}: receive failed, the service stops: {}", name(), e.getMessage());
                return;
            }
            st.sessions.increment();
            st.bytesIn.add(info.length());
            try {
                switch (kind()) {
                    case ECHO -> {
                        buf.flip();
                        st.bytesOut.add(socket.sendto(buf, 0, info.from()));
                    }
                    case CHARGEN -> {
                        buf.clear();
                        chargen.fillDatagram(buf);
                        buf.flip();
                        st.bytesOut.add(socket.sendto(buf, 0, info.from()));
                    }
                    default -> {
                        // discard: nothing goes back
                    }
                }
            } catch (SocketException e) {
                // one peer unreachable (ICMP error, no route) must not stop the service
                st.errors.increment();
                if (stopping() || e.errno() == Errno.EBADF) {
                    return;
                }
                // an abort during the send shows at the next receive
            }
        }
    }

    @Override
    public void stop() {
        markStopping();
        socket.close();
        if (Thread.currentThread() != thread) {
            try {
                thread.join(JOIN_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
