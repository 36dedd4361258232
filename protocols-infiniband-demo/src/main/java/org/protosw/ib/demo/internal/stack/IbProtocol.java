package org.protosw.ib.demo.internal.stack;

import static org.protosw.socket.SocketConstants.SOCK_SEQPACKET;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

import org.protosw.socket.Errno;
import org.protosw.socket.SocketException;
import org.protosw.spi.Pcb;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.ProtoSocket;
import org.protosw.spi.Protocol;
import org.protosw.spi.Tunable;

/**
 * One AF_IB switch entry in one vnet: {@code ib-rc} (SOCK_SEQPACKET, reliable messages on
 * an RC queue pair per socket) or {@code ib-sdp} (SOCK_STREAM, the SDP-like byte stream over
 * one). Both use the vnet's {@link IbVnet}. Keeps the sockets' buffer tunables, the
 * protocol's counters, and the connections still finishing after their socket closed.
 */
final class IbProtocol implements Protocol {
    final ProtoContext ctx;
    final IbVnet vnet;
    final int type;
    final String name;
    private final Tunable sendspace;
    private final Tunable recvspace;
    /** Closed connections still delivering what was sent, as TCP's FIN_WAIT: destroyed with the protocol. */
    final Set<IbPcb> lingering = ConcurrentHashMap.newKeySet();

    final LongAdder attached = new LongAdder();
    final LongAdder detached = new LongAdder();
    final LongAdder detachedTwice = new LongAdder();
    final LongAdder connected = new LongAdder();
    final LongAdder accepted = new LongAdder();
    final LongAdder refused = new LongAdder();
    final LongAdder timedOut = new LongAdder();
    final LongAdder reset = new LongAdder();
    final LongAdder aborted = new LongAdder();
    final LongAdder badMessages = new LongAdder();

    IbProtocol(ProtoContext ctx, int type, String name, int defaultSpace) throws SocketException {
        this.ctx = ctx;
        this.type = type;
        this.name = name;
        IbVnet v = ctx.domainState(IbVnet.class);
        if (v == null) {
            throw new SocketException(Errno.EAFNOSUPPORT, name + ": the ib domain has no state in vnet " + ctx.vnet());
        }
        this.vnet = v;
        // a vnet made after the domain: UDP may have come up there only now
        try {
            v.openPort();
        } catch (SocketException e) {
            // UDP absent: the first socket that needs the port opens it
        }
        String sub = type == SOCK_SEQPACKET ? "rc" : "sdp";
        sendspace = ctx.sysctl().register("net.ib." + sub + ".sendspace", defaultSpace, 1024, 64 << 20,
                "default send buffer of " + name + " sockets (bytes)");
        recvspace = ctx.sysctl().register("net.ib." + sub + ".recvspace", defaultSpace, 1024, 64 << 20,
                "default receive buffer of " + name + " sockets (bytes)" + (type == SOCK_SEQPACKET
                        ? ": also the largest message a peer may send them" : ": its 64 KiB receive buffers are the peer's credits"));
    }

    @Override
    public Pcb attach(ProtoSocket so) throws SocketException {
        so.soreserve(sendspace.getInt(), recvspace.getInt());
        IbPcb pcb = type == SOCK_SEQPACKET ? new RcPcb(this, so) : new SdpPcb(this, so);
        attached.increment();
        return pcb;
    }

    /** A connection's socket (passive side) made by {@code sonewconn}: its settings are the listener's. */
    IbPcb attachChild(ProtoSocket so) {
        IbPcb pcb = type == SOCK_SEQPACKET ? new RcPcb(this, so) : new SdpPcb(this, so);
        attached.increment();
        return pcb;
    }

    @Override
    public Map<String, Long> statistics() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("sockets attached", attached.sum());
        m.put("sockets detached", detached.sum());
        m.put("sockets detached twice (a bug)", detachedTwice.sum());
        m.put("connections established (active)", connected.sum());
        m.put("connections accepted (passive)", accepted.sum());
        m.put("connections refused (ECONNREFUSED)", refused.sum());
        m.put("connections timed out (ETIMEDOUT)", timedOut.sum());
        m.put("connections reset by a remote error (ECONNRESET)", reset.sum());
        m.put("sockets aborted by the stack (ECONNABORTED)", aborted.sum());
        m.put("closed connections still finishing", (long) lingering.size());
        if (type != SOCK_SEQPACKET) {
            m.put("stream messages with a bad SDP header", badMessages.sum());
        }
        // the HCA is the vnet's, shared with the domain's other entry
        m.putAll(vnet.hca().stats().snapshot());
        return m;
    }

    @Override
    public void destroy() {
        for (IbPcb p : lingering) {
            p.finishClose();
        }
        lingering.clear();
    }
}
