package org.protosw.udp.internal;

import static org.protosw.socket.SocketConstants.IPPROTO_UDP;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

import org.protosw.socket.Errno;
import org.protosw.socket.SockOpt;
import org.protosw.spi.Pcb;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.ProtoSocket;
import org.protosw.spi.SockBuf;

/** The socket side of a UDP pcb: buffers, the boolean options the core keeps, and recorded upcalls. */
final class FakeSocket implements ProtoSocket {
    final ProtoContext ctx;
    final FakeSockBuf rcv = new FakeSockBuf(0);
    final FakeSockBuf snd = new FakeSockBuf(0);
    final Map<SockOpt<Boolean>, Boolean> options = new HashMap<>();
    int reservedSnd = -1;
    int reservedRcv = -1;
    boolean connected;
    int connectedCalls;
    int disconnectedCalls;
    int rwakeups;
    Errno error;

    FakeSocket(ProtoContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public int domain() {
        return org.protosw.socket.SocketConstants.AF_INET;
    }

    @Override
    public int type() {
        return SOCK_DGRAM;
    }

    @Override
    public int protocol() {
        return IPPROTO_UDP;
    }

    @Override
    public ProtoContext context() {
        return ctx;
    }

    @Override
    public SockBuf rcv() {
        return rcv;
    }

    @Override
    public SockBuf snd() {
        return snd;
    }

    @Override
    public void soreserve(int sndcc, int rcvcc) {
        reservedSnd = sndcc;
        reservedRcv = rcvcc;
        snd.hiwat = sndcc;
        rcv.hiwat = rcvcc;
    }

    @Override
    public boolean option(SockOpt<Boolean> option) {
        return options.getOrDefault(option, false);
    }

    void set(SockOpt<Boolean> option, boolean on) {
        options.put(option, on);
    }

    @Override
    public int linger() {
        return -1;
    }

    @Override
    public void soisconnecting() {
    }

    @Override
    public void soisconnected() {
        connected = true;
        connectedCalls++;
    }

    @Override
    public void soisdisconnecting() {
    }

    @Override
    public void soisdisconnected() {
        connected = false;
        disconnectedCalls++;
    }

    @Override
    public void socantrcvmore() {
        throw new AssertionError("UDP never shuts the receive side");
    }

    @Override
    public void socantsendmore() {
        throw new AssertionError("UDP never shuts the send side");
    }

    @Override
    public void setError(Errno error) {
        this.error = error;
    }

    @Override
    public void sorwakeup() {
        rwakeups++;
    }

    @Override
    public void sowwakeup() {
    }

    @Override
    public ProtoSocket sonewconn(Function<ProtoSocket, Pcb> attach) {
        throw new AssertionError("UDP does not listen");
    }
}
