package org.protosw.internal.socket;

import java.nio.ByteBuffer;

import org.protosw.internal.sw.ProtoDescriptor;
import org.protosw.socket.Errno;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.spi.IcmpError;
import org.protosw.spi.KernSocket;
import org.protosw.spi.Packet;
import org.protosw.spi.PpsRateCheck;
import org.protosw.spi.SoUpcall;
import org.protosw.spi.TunnelInput;
import org.protosw.spi.TunnelPcb;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A socket opened inside the stack by another protocol: FreeBSD's in-kernel
 * {@code socreate}/{@code sosend}/{@code soreceive} with {@code so_upcall}. It is an
 * ordinary {@link SocketImpl} of the lower protocol (same table entry, same lifecycle, same
 * abort), non-blocking, whose wake-ups call the owner's {@link SoUpcall} instead of
 * waking a thread.
 */
final class KernSocketImpl implements KernSocket {
    private static final Logger LOG = LoggerFactory.getLogger(KernSocketImpl.class);

    final SocketImpl s;
    final String owner;
    private final SoUpcall upcall;
    private final java.util.function.Consumer<KernSocket> whenDetached;
    private final PpsRateCheck errorLog = new PpsRateCheck(1);

    KernSocketImpl(SocketImpl s, String owner, SoUpcall upcall, java.util.function.Consumer<KernSocket> whenDetached) {
        this.s = s;
        this.owner = owner;
        this.upcall = upcall;
        this.whenDetached = whenDetached;
    }

    /** The tunnel the owner set, carried over to the next revision's pcb by {@link #relinked()}. */
    private volatile TunnelInput tunnel;

    /**
     * The lower protocol was upgraded and the socket runs on the new revision's pcb: the
     * tunnel is the owner's object, not part of any snapshot, so the core sets it again.
     */
    void relinked() {
        TunnelInput t = tunnel;
        if (t != null && s.pcb instanceof TunnelPcb tp) {
            try {
                tp.setTunnel(t);
            } catch (SocketException | RuntimeException | LinkageError e) {
                LOG.error("{}: setting the tunnel again on the upgraded {} failed", s.describe(), s.so.protoName, e);
            }
        }
    }

    /** The socket was detached: its owner's context need not keep it (it pins the lower pcb). */
    void detached() {
        if (whenDetached != null) {
            whenDetached.accept(this);
        }
    }

    // ---- upcalls, from ProtoSocketImpl and SocketImpl -----------------------------------

    void readable() {
        SoUpcall u = upcall;
        if (u != null) {
            try {
                u.readable(this);
            } catch (RuntimeException | LinkageError e) {
                logFailure("readable", e);
            }
        }
    }

    void writable() {
        SoUpcall u = upcall;
        if (u != null) {
            try {
                u.writable(this);
            } catch (RuntimeException | LinkageError e) {
                logFailure("writable", e);
            }
        }
    }

    void aborted() {
        SoUpcall u = upcall;
        if (u != null) {
            try {
                u.aborted(this);
            } catch (RuntimeException | LinkageError e) {
                logFailure("aborted", e);
            }
        }
    }

    private void logFailure(String what, Throwable e) {
        if (errorLog.check()) {
            LOG.warn("{}: the {} upcall of {} failed", s.describe(), what, owner, e);
        }
    }

    // ---- KernSocket ---------------------------------------------------------------------

    @Override
    public int domain() {
        return s.domain();
    }

    @Override
    public int type() {
        return s.type();
    }

    @Override
    public int protocol() {
        return s.protocol();
    }

    @Override
    public String protocolName() {
        return s.so.protoName;
    }

    @Override
    public void bind(SockAddr addr) throws SocketException {
        s.bind(addr);
    }

    @Override
    public void connect(SockAddr addr) throws SocketException {
        s.connect(addr);
    }

    @Override
    public void listen(int backlog) throws SocketException {
        s.listen(backlog);
    }

    @Override
    public void send(Packet data, SockAddr to, int flags) throws SocketException {
        if (data == null) {
            throw new SocketException(Errno.EINVAL, "send: no packet");
        }
        int slot = s.enter();
        try {
            ProtoSocketImpl so = s.so;
            SoSend.checkWritable(s, "send (pending error)");
            if (so.has(ProtoDescriptor.PR_ATOMIC) && data.length() > so.snd.hiwat()) {
                throw new SocketException(Errno.EMSGSIZE, "send: a " + data.length() + " byte datagram exceeds SO_SNDBUF ("
                        + so.snd.hiwat() + ")");
            }
            s.call(pcb -> pcb.send(data, to, flags));
        } catch (SocketException e) {
            throw s.asAborted(e);
        } catch (RuntimeException | LinkageError e) {
            throw s.protoFailure("send", e);
        } finally {
            s.exit(slot);
        }
    }

    @Override
    public RecvInfo recv(ByteBuffer dst, int flags) throws SocketException {
        SoReceive.Meta meta = new SoReceive.Meta();
        int n = SoReceive.soreceive(s, dst, flags | SocketConstants.MSG_DONTWAIT, meta, false);
        return new RecvInfo(n, meta.from, meta.flags, meta.ifname);
    }

    @Override
    public <T> void setOption(SockOpt<T> option, T value) throws SocketException {
        s.setOption(option, value);
    }

    @Override
    public <T> T getOption(SockOpt<T> option) throws SocketException {
        return s.getOption(option);
    }

    @Override
    public SockAddr localAddress() throws SocketException {
        return s.localAddress();
    }

    @Override
    public SockAddr peerAddress() throws SocketException {
        return s.peerAddress();
    }

    @Override
    public void setTunnel(TunnelInput tunnel) throws SocketException {
        int slot = s.enter();
        try {
            TunnelInput g = tunnel == null ? null : new Guarded(tunnel);
            s.call(pcb -> {
                if (!(pcb instanceof TunnelPcb tp)) {
                    throw new SocketException(Errno.EOPNOTSUPP, "setTunnel: protocol " + s.so.protoName + " has no tunnelling");
                }
                tp.setTunnel(g);
            });
            this.tunnel = g;
        } catch (RuntimeException | LinkageError e) {
            throw s.protoFailure("setTunnel", e);
        } finally {
            s.exit(slot);
        }
    }

    /** Keeps a failing tunnel from throwing into the lower protocol's input path. */
    private final class Guarded implements TunnelInput {
        private final TunnelInput t;

        Guarded(TunnelInput t) {
            this.t = t;
        }

        @Override
        public void input(Packet p, int hlen) {
            try {
                t.input(p, hlen);
            } catch (RuntimeException | LinkageError e) {
                logFailure("tunnel input", e);
                throw e;
            }
        }

        @Override
        public void ctlinput(IcmpError error) {
            try {
                t.ctlinput(error);
            } catch (RuntimeException | LinkageError e) {
                logFailure("tunnel ctlinput", e);
            }
        }
    }

    @Override
    public boolean isAborted() {
        return s.isAborted();
    }

    @Override
    public void close() {
        s.close();
    }

    @Override
    public String toString() {
        return s.describe() + " owned by " + owner;
    }
}
