package org.protosw.udp.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.protosw.internal.kern.SysctlTree;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.SocketException;
import org.protosw.spi.Callout;
import org.protosw.spi.IfAddr;
import org.protosw.spi.IfNet;
import org.protosw.spi.InPcbTable;
import org.protosw.spi.IpInput;
import org.protosw.spi.Packet;
import org.protosw.spi.Pfil;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.Registration;
import org.protosw.spi.Route;

/**
 * A stack instance for UDP's tests: em0 192.0.2.1/24 (broadcast 192.0.2.255), lo0
 * 127.0.0.1/8, a default route via 192.0.2.254. It records what UDP sends and the ICMP
 * errors it asks for, and injects input through the registered handler.
 */
final class FakeContext implements ProtoContext {
    static final int EM0_ADDR = InAddr.parse("192.0.2.1").bits();
    static final int EM0_BCAST = InAddr.parse("192.0.2.255").bits();
    static final int PEER = InAddr.parse("192.0.2.7").bits();
    static final int FAR = InAddr.parse("198.51.100.9").bits();

    record Output(byte[] bytes, int src, int dst, int proto, int ttl, int tos, int flags) {
    }

    record IcmpSent(byte[] quoted, int type, int code) {
    }

    record FakeIf(String name, int index, int mtu, int flags, List<IfAddr> addresses) implements IfNet {
    }

    final FakeIf em0 = new FakeIf("em0", 1, 1500, IfNet.IFF_UP | IfNet.IFF_BROADCAST | IfNet.IFF_RUNNING,
            List.of(new IfAddr(new InAddr(EM0_ADDR), 24, new InAddr(EM0_BCAST))));
    final FakeIf lo0 = new FakeIf("lo0", 2, 16384, IfNet.IFF_UP | IfNet.IFF_LOOPBACK | IfNet.IFF_RUNNING,
            List.of(new IfAddr(InAddr.LOOPBACK, 8, null)));
    /** The {@link Packet#flags()} of each output, in order. */
    final List<Integer> packetFlags = new ArrayList<>();
    final List<Route> routes = new ArrayList<>(List.of(
            new Route(InAddr.parse("192.0.2.0"), 24, null, em0, new InAddr(EM0_ADDR), 0, Route.RTF_UP | Route.RTF_CONNECTED),
            new Route(InAddr.parse("127.0.0.0"), 8, null, lo0, InAddr.LOOPBACK, 0, Route.RTF_UP | Route.RTF_CONNECTED),
            new Route(InAddr.ANY, 0, InAddr.parse("192.0.2.254"), em0, new InAddr(EM0_ADDR), 0, Route.RTF_UP | Route.RTF_GATEWAY | Route.RTF_STATIC)));

    final List<Output> outputs = new ArrayList<>();
    final List<IcmpSent> icmpErrors = new ArrayList<>();
    final Map<Integer, IpInput> inputs = new HashMap<>();
    // the core's own tunable tree: plain Java, no OSGi
    final SysctlTree sysctls = new SysctlTree();
    final List<FakePcbTable<?>> tables = new ArrayList<>();
    SocketException outputError;

    @Override
    public String vnet() {
        return "test";
    }

    @Override
    public Packet allocate(int len) {
        return Packet.allocate(len);
    }

    @Override
    public synchronized void ipOutput(Packet p, int src, int dst, int proto, int ttl, int tos, int flags) throws SocketException {
        if (outputError != null) {
            throw outputError;
        }
        if (isBroadcast(dst) && (flags & IP_ALLOWBROADCAST) == 0) {
            throw new SocketException(Errno.EACCES, "broadcast without SO_BROADCAST");
        }
        outputs.add(new Output(p.toByteArray(), src, dst, proto, ttl, tos, flags));
        packetFlags.add(p.flags());
    }

    @Override
    public Registration ipprotoRegister(int proto, IpInput input) throws SocketException {
        if (inputs.putIfAbsent(proto, input) != null) {
            throw new SocketException(Errno.EEXIST, "protocol " + proto);
        }
        return () -> inputs.remove(proto, input);
    }

    /** Hands a packet to the handler of its IP protocol, as ip_input would. */
    void inject(Packet p) {
        int hlen = (p.get8(0) & 0xf) * 4;
        inputs.get(p.get8(9)).input(p, hlen);
    }

    @Override
    public <T> InPcbTable<T> newPcbTable(String protocolName) {
        FakePcbTable<T> t = new FakePcbTable<>(this);
        tables.add(t);
        return t;
    }

    @Override
    public Route routeLookup(int dst) {
        Route best = null;
        for (Route r : routes) {
            int mask = InAddr.netmask(r.prefixLength());
            if ((dst & mask) == (r.dst().bits() & mask) && (best == null || r.prefixLength() > best.prefixLength())) {
                best = r;
            }
        }
        return best;
    }

    @Override
    public List<IfNet> interfaces() {
        return List.of(em0, lo0);
    }

    @Override
    public IfNet interfaceByName(String name) {
        return interfaces().stream().filter(i -> i.name().equals(name)).findFirst().orElse(null);
    }

    @Override
    public boolean isLocalAddress(int addr) {
        return interfaces().stream().flatMap(i -> i.addresses().stream()).anyMatch(a -> a.addr().bits() == addr);
    }

    @Override
    public boolean isBroadcast(int addr) {
        return addr == 0xffffffff || addr == EM0_BCAST;
    }

    @Override
    public void icmpError(Packet offending, int type, int code, int nextMtu) {
        icmpErrors.add(new IcmpSent(offending.toByteArray(), type, code));
    }

    @Override
    public Callout newCallout(Runnable task) {
        throw new AssertionError("UDP uses no timers");
    }

    @Override
    public SysctlTree sysctl() {
        return sysctls;
    }

    @Override
    public org.protosw.spi.KernSocket socreate(int domain, int type, int protocol, org.protosw.spi.SoUpcall upcall)
            throws SocketException {
        throw new SocketException(Errno.EPROTONOSUPPORT, "no in-stack sockets in this test");
    }

    @Override
    public <T> T domainState(Class<T> type) {
        return null;
    }

    @Override
    public Pfil pfil() {
        throw new AssertionError("UDP uses no packet filter hooks");
    }
}
