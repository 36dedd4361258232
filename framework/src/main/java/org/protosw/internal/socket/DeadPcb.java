package org.protosw.internal.socket;

import org.protosw.socket.Errno;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.SocketException;
import org.protosw.spi.Packet;
import org.protosw.spi.Pcb;

/**
 * The core's own pcb for a socket whose protocol pcb is gone: exported to a new revision and
 * not yet imported, or detached after an abort. A socket pointing at it keeps nothing of
 * the protocol's bundle reachable; every request answers ECONNABORTED.
 */
final class DeadPcb implements Pcb {
    static final DeadPcb INSTANCE = new DeadPcb();

    private DeadPcb() {
    }

    private static SocketException gone(String request) {
        return new SocketException(Errno.ECONNABORTED, request + ": the socket's protocol state is gone (aborted)");
    }

    @Override
    public void bind(SockAddr addr) throws SocketException {
        throw gone("bind");
    }

    @Override
    public void listen(int backlog) throws SocketException {
        throw gone("listen");
    }

    @Override
    public void connect(SockAddr addr) throws SocketException {
        throw gone("connect");
    }

    @Override
    public void disconnect() throws SocketException {
        throw gone("disconnect");
    }

    @Override
    public void shutdown() throws SocketException {
        throw gone("shutdown");
    }

    @Override
    public void send(Packet data, SockAddr to, int flags) throws SocketException {
        throw gone("send");
    }

    @Override
    public SockAddr accept() throws SocketException {
        throw gone("accept");
    }

    @Override
    public SockAddr sockaddr() throws SocketException {
        throw gone("getsockname");
    }

    @Override
    public SockAddr peeraddr() throws SocketException {
        throw gone("getpeername");
    }

    @Override
    public <T> void setOption(SockOpt<T> option, T value) throws SocketException {
        throw gone("setsockopt");
    }

    @Override
    public <T> T getOption(SockOpt<T> option) throws SocketException {
        throw gone("getsockopt");
    }

    @Override
    public void detach() {
    }

    @Override
    public String state() {
        return "ABORTED";
    }
}
