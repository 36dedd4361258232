package org.protosw.ib.demo.internal.stack;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.protosw.ib.demo.IbGid;
import org.protosw.ib.demo.internal.verbs.Hca;
import org.protosw.ib.demo.internal.verbs.IbConfig;
import org.protosw.socket.Errno;
import org.protosw.socket.SocketException;
import org.protosw.spi.Pfil;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.Registration;

/**
 * The AF_IB domain's state in one vnet, shared by its SOCK_SEQPACKET and SOCK_STREAM entries
 * ({@code ProtoContext.domainState}): the vnet's HCA with its RoCEv2 port, the tunables, the
 * pfil hook that finishes outgoing packets, and the table of bound service IDs (the
 * domain's port space: one service ID, one socket, whatever its type).
 */
public final class IbVnet {
    /** Where ephemeral service IDs start (bind to service ID 0, listen without bind). */
    static final long EPHEMERAL_FIRST = 0x10000;

    private final ProtoContext ctx;
    private final IbConfig config = new IbConfig();
    private final IbTunables tunables;
    private final RocePort port;
    private final Hca hca;
    private final Registration hook;
    private final ConcurrentHashMap<Long, IbPcb> sids = new ConcurrentHashMap<>();
    private final AtomicLong nextSid = new AtomicLong(EPHEMERAL_FIRST);

    IbVnet(ProtoContext ctx) {
        this.ctx = ctx;
        this.tunables = new IbTunables(ctx.sysctl(), config);
        this.port = new RocePort(ctx);
        this.hca = new Hca(port, config);
        port.bind(hca);
        this.hook = ctx.pfil().addHook("roce-icrc", Pfil.OUT, RoceOutputHook.ORDER, new RoceOutputHook(ctx));
        // as an HCA's CM answers on QP1 from the start, whether or not a socket listens: a
        // REQ for a service nobody listens on gets REJ, not silence. Without UDP yet, the
        // first socket that needs the port opens it.
        try {
            port.open();
        } catch (SocketException e) {
            // UDP not loaded (yet): opened lazily
        }
    }

    public String name() {
        return ctx.vnet();
    }

    public Hca hca() {
        return hca;
    }

    /** The HCA's config with the tunables' current values (read when a QP is made or the CM sends). */
    IbConfig config() {
        tunables.applyTo(config);
        return config;
    }

    /** The RoCEv2 UDP socket, opened if needed (ENETDOWN while UDP is absent). */
    void openPort() throws SocketException {
        port.open();
    }

    public boolean portOpen() {
        return port.isOpen();
    }

    /** Whether {@code gid} is the IPv4-mapped GID of one of this vnet's addresses. */
    boolean isLocal(IbGid gid) {
        return gid.isIpv4Mapped() && ctx.isLocalAddress(gid.ipv4());
    }

    /** The local GID packets to {@code peer} leave from, or null without a route. */
    IbGid sourceFor(IbGid peer) {
        return port.sourceFor(peer);
    }

    /**
     * Reserves a service ID for {@code pcb} (bind); 0 takes the next free ephemeral one.
     *
     * @throws SocketException EADDRINUSE when another socket holds it
     */
    long reserveSid(long sid, IbPcb pcb) throws SocketException {
        if (sid != 0) {
            IbPcb other = sids.putIfAbsent(sid, pcb);
            if (other != null && other != pcb) {
                throw new SocketException(Errno.EADDRINUSE, "bind: service ID 0x" + Long.toHexString(sid) + " is in use in vnet " + name());
            }
            return sid;
        }
        for (int i = 0; i < 1 << 20; i++) {
            long s = nextSid.getAndIncrement();
            if (s >= 1L << 32) {
                nextSid.compareAndSet(s + 1, EPHEMERAL_FIRST);
                continue;
            }
            if (sids.putIfAbsent(s, pcb) == null) {
                return s;
            }
        }
        throw new SocketException(Errno.EADDRNOTAVAIL, "bind: no ephemeral service ID left in vnet " + name());
    }

    void releaseSid(long sid, IbPcb pcb) {
        if (sid != 0) {
            sids.remove(sid, pcb);
        }
    }

    /** The domain leaves the vnet (or the vnet goes): every entry's sockets are gone already. */
    void close() {
        hook.close();
        hca.close();
        port.close();
        sids.clear();
    }

    @Override
    public String toString() {
        return "ib@" + name();
    }
}
