package org.protosw.divert.internal;

import java.util.concurrent.locks.ReentrantLock;

import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SocketException;
import org.protosw.spi.IfNet;
import org.protosw.spi.Packet;
import org.protosw.spi.Pcb;
import org.protosw.spi.ProtoSocket;
import org.protosw.wire.Ipv4Header;
import org.protosw.wire.WireStatus;

/**
 * The pcb of one divert socket: its divert port ({@code bind}), {@code div_output} for what
 * the application writes back, and the delivery of diverted packets.
 */
final class DivertPcb implements Pcb {
    /** Where a write without an address goes: out, no rule to resume after. */
    private static final InetSockAddr OUTBOUND = new InetSockAddr(InAddr.ANY, 0);

    private final DivertProtocol div;
    private final ProtoSocket so;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile int port;
    private volatile boolean removed;
    private volatile boolean aborted;
    /** Set by the export of a live upgrade: the detach that follows leaves the binding alone. */
    private volatile boolean exported;

    DivertPcb(DivertProtocol div, ProtoSocket so) {
        this.div = div;
        this.so = so;
    }

    int port() {
        return port;
    }

    void setPort(int port) {
        this.port = port;
    }

    /** The divert port is the port of the address; its IP address means nothing (divert(4)). */
    @Override
    public void bind(SockAddr addr) throws SocketException {
        if (!(addr instanceof InetSockAddr sin)) {
            throw new SocketException(addr == null ? Errno.EINVAL : Errno.EAFNOSUPPORT,
                    "bind: a divert socket takes an InetSockAddr whose port is the divert port, got " + addr);
        }
        lock.lock();
        try {
            checkOpen("bind");
            if (port != 0) {
                throw new SocketException(Errno.EINVAL, "bind: the socket is bound to divert port " + port + " already");
            }
            div.bind(this, sin.port());
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code div_output}: the data are a whole IP packet. To the wildcard address it goes
     * out; to an address of this host it comes in on that address's interface. The port of
     * the address is the rule number to resume after (what recvfrom reported). Without an
     * address (plain {@code send}) it goes out and meets the rules from the first one on,
     * as divert(4) treats a write without a sockaddr.
     */
    @Override
    public void send(Packet data, SockAddr to, int flags) throws SocketException {
        InetSockAddr sin;
        if (to == null) {
            sin = OUTBOUND;
        } else if (to instanceof InetSockAddr a) {
            sin = a;
        } else {
            throw new SocketException(Errno.EAFNOSUPPORT,
                    "sendto on a divert socket needs an InetSockAddr (wildcard: outbound, local address: inbound), got " + to);
        }
        checkOpen("send");
        WireStatus st = Ipv4Header.check(data.array(), data.offset(), data.length());
        if (st != WireStatus.OK) {
            throw new SocketException(Errno.EINVAL, "send: the data are no IPv4 packet (" + st + ")");
        }
        int total = data.get16(Ipv4Header.OFF_TOTAL_LENGTH);
        if (total < data.length()) {
            data.setLength(total);
        }
        int addr = sin.addr().bits();
        if (addr == 0) {
            div.reinjectOut(data, sin.port());
        } else {
            div.reinjectIn(data, addr, sin.port());
        }
    }

    /** {@code div_input}'s delivery: false when the receive buffer has no room. */
    boolean deliver(Packet p, int rule, IfNet inbound) {
        if (removed) {
            return false;
        }
        InetSockAddr from;
        String ifname = null;
        if (inbound != null) {
            var addrs = inbound.addresses();
            InAddr a = addrs.isEmpty() ? InAddr.ANY : addrs.getFirst().addr();
            from = new InetSockAddr(a, rule);
            ifname = inbound.name();
        } else {
            from = new InetSockAddr(InAddr.ANY, rule);
        }
        if (!so.rcv().appendAddr(p, from, ifname)) {
            return false;
        }
        so.sorwakeup();
        return true;
    }

    @Override
    public SockAddr sockaddr() {
        return new InetSockAddr(InAddr.ANY, port);
    }

    @Override
    public SockAddr peeraddr() throws SocketException {
        throw new SocketException(Errno.ENOTCONN, "getpeername: divert sockets have no peer");
    }

    @Override
    public void close() {
        release();
    }

    @Override
    public void abort() {
        aborted = true;
        // an unload after a failed export: this pcb's detach is a real one again
        exported = false;
        release();
    }

    /**
     * After a close or an abort: lets the port go. After an export (live upgrade) nothing
     * visible happens: the port stays bound in this (old) instance until its destroy removes
     * the hook, so what the old hook still diverts meanwhile lands in the receive buffer the
     * core keeps for the socket, ahead of what the next revision delivers, instead of being
     * dropped as "no socket".
     */
    @Override
    public void detach() {
        if (exported) {
            return;
        }
        release();
    }

    private void checkOpen(String request) throws SocketException {
        if (removed) {
            if (aborted) {
                throw new SocketException(Errno.ECONNABORTED, request + " on a socket the stack aborted");
            }
            throw new SocketException(Errno.EBADF, request + " on a closed socket");
        }
    }

    private void release() {
        lock.lock();
        try {
            if (!removed) {
                removed = true;
                div.unbind(this);
            }
        } finally {
            lock.unlock();
        }
    }

    // ---- live upgrade (DivertTransfer) -------------------------------------------------

    /** What the next revision needs to continue this pcb; the detach that follows is an exported one. */
    java.util.Map<String, Object> exportState() {
        lock.lock();
        try {
            java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("port", port);
            m.put("removed", removed);
            m.put("aborted", aborted);
            exported = true;
            return m;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A pcb continuing an exported one on {@code so}: bound to the same divert port in
     * {@code div}'s table (the socket's buffers, with the queued packets, are the core's and
     * stay as they are). A pcb that was closed or aborted already comes back that way, unbound.
     */
    static DivertPcb restore(DivertProtocol div, ProtoSocket so, java.util.Map<String, Object> m) throws SocketException {
        int port = DivertTransfer.integer(m, "port", null);
        boolean removed = DivertTransfer.bool(m, "removed", null);
        boolean aborted = DivertTransfer.bool(m, "aborted", null);
        if (port < 0 || port > 65535) {
            throw DivertTransfer.bad("port (" + port + ", not a divert port 0..65535)");
        }
        if (aborted && !removed) {
            throw DivertTransfer.bad("aborted (true for a pcb that was not removed)");
        }
        DivertPcb pcb = new DivertPcb(div, so);
        pcb.aborted = aborted;
        if (removed) {
            pcb.removed = true;
            pcb.port = port;
        } else if (port != 0) {
            div.bind(pcb, port);
        }
        return pcb;
    }

    @Override
    public String toString() {
        return "divert port " + port;
    }
}
