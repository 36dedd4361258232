package org.protosw.internal.sw;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.protosw.spi.Callout;
import org.protosw.spi.IfNet;
import org.protosw.spi.InPcbTable;
import org.protosw.spi.IpInput;
import org.protosw.spi.Packet;
import org.protosw.spi.Pfil;
import org.protosw.spi.Protocol;
import org.protosw.spi.Registration;
import org.protosw.spi.Route;
import org.protosw.spi.Sysctls;

/**
 * A protocol context with only what the socket layer uses (packet allocation, the vnet
 * name); the IP-side services are outside these tests and say so when called.
 */
public final class FakeContext implements ScopedContext {
    public final String vnet;
    public final String owner;
    /** How often bindProtocol / close were called; the protocol itself is not kept. */
    public final AtomicInteger bound = new AtomicInteger();
    public final AtomicInteger closed = new AtomicInteger();
    public volatile String boundProtocolClass;

    private final FakeVnet hooks;
    private final List<org.protosw.spi.KernSocket> kernSockets = new java.util.concurrent.CopyOnWriteArrayList<>();

    FakeContext(String vnet, String owner, FakeVnet hooks) {
        this.vnet = vnet;
        this.owner = owner;
        this.hooks = hooks;
    }

    @Override
    public void bindProtocol(Protocol protocol) {
        bound.incrementAndGet();
        boundProtocolClass = protocol.getClass().getName();
    }

    @Override
    public void close() {
        closed.incrementAndGet();
        // as the core's context does: the owner's in-stack sockets go with it
        for (org.protosw.spi.KernSocket k : kernSockets) {
            k.close();
        }
        kernSockets.clear();
    }

    @Override
    public String vnet() {
        return vnet;
    }

    @Override
    public Packet allocate(int len) {
        return Packet.allocate(len);
    }

    private static UnsupportedOperationException outside(String what) {
        return new UnsupportedOperationException(what + " is not part of the socket layer tests");
    }

    @Override
    public void ipOutput(Packet p, int src, int dst, int proto, int ttl, int tos, int flags) {
        throw outside("ipOutput");
    }

    @Override
    public Registration ipprotoRegister(int proto, IpInput input) {
        throw outside("ipprotoRegister");
    }

    @Override
    public <T> InPcbTable<T> newPcbTable(String protocolName) {
        throw outside("newPcbTable");
    }

    @Override
    public Route routeLookup(int dst) {
        throw outside("routeLookup");
    }

    @Override
    public List<IfNet> interfaces() {
        return List.of();
    }

    @Override
    public IfNet interfaceByName(String name) {
        return null;
    }

    @Override
    public boolean isLocalAddress(int addr) {
        return (addr >>> 24) == 127;
    }

    @Override
    public boolean isBroadcast(int addr) {
        return addr == -1;
    }

    @Override
    public void icmpError(Packet offending, int type, int code, int nextMtu) {
        throw outside("icmpError");
    }

    @Override
    public Callout newCallout(Runnable task) {
        throw outside("newCallout");
    }

    @Override
    public Sysctls sysctl() {
        throw outside("sysctl");
    }

    @Override
    public org.protosw.spi.KernSocket socreate(int domain, int type, int protocol, org.protosw.spi.SoUpcall upcall)
            throws org.protosw.socket.SocketException {
        org.protosw.internal.socket.SocketLayer l = hooks.layer;
        if (l == null || closed.get() > 0) {
            throw new org.protosw.socket.SocketException(org.protosw.socket.Errno.EPROTONOSUPPORT, "no in-stack sockets in this test");
        }
        org.protosw.spi.KernSocket k = l.kernSocket(domain, type, protocol, owner, upcall);
        kernSockets.add(k);
        return k;
    }

    @Override
    public <T> T domainState(Class<T> type) {
        return domainState == null ? null : type.cast(domainState);
    }

    public volatile Object domainState;

    @Override
    public void bindDomainState(Object state) {
        this.domainState = state;
    }

    @Override
    public Pfil pfil() {
        throw outside("pfil");
    }
}
