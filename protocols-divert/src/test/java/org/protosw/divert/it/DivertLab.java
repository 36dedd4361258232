package org.protosw.divert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.protosw.divert.internal.DivertDomain;
import org.protosw.divert.internal.DivertProtoSw;
import org.protosw.divert.internal.DivertRules;
import org.protosw.divert.internal.RuleStore;
import org.protosw.internal.kern.StandaloneStack;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.net.Epair;
import org.protosw.internal.net.NetInterface;
import org.protosw.internal.sw.ProtoEntry;
import org.protosw.internal.sw.ProtoInstance;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.spi.IfAddr;
import org.protosw.spi.ProtoSw;
import org.protosw.spi.ProtoSwEntry;
import org.protosw.spi.Tunable;
import org.protosw.tcp.internal.TcpProtoSw;
import org.protosw.udp.internal.UdpProtoSw;

/**
 * The real core without OSGi, with UDP, TCP and divert loaded as their bundles would register
 * them, rules in a store that outlives a divert unload, epairs between vnets, and the
 * threads a test starts (joined on close).
 */
final class DivertLab implements AutoCloseable {
    final StandaloneStack stack;
    /** Outlives unload and reload, as Configuration Admin does in OSGi. */
    final RuleStore store = RuleStore.inMemory();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private volatile ProtoSw divert;
    private volatile DivertDomain domain;
    private volatile DivertRules rules;

    DivertLab() throws SocketException {
        stack = new StandaloneStack();
        stack.register(new UdpProtoSw(), UdpProtoSw.PROPERTIES, "org.protosw.udp (divert test)");
        stack.register(TcpProtoSw.standalone(), TcpProtoSw.PROPERTIES, "org.protosw.tcp (divert test)");
        loadDivert();
    }

    /** Divert's service properties, as its {@code @ProtoSwEntry} gives them. */
    static Map<String, Object> divertProperties() {
        return Map.of(
                ProtoSwEntry.DOMAIN, SocketConstants.AF_DIVERT,
                ProtoSwEntry.TYPE, SocketConstants.SOCK_RAW,
                ProtoSwEntry.PROTOCOL, 0,
                ProtoSwEntry.NAME, "divert",
                ProtoSwEntry.FLAGS, new String[] {ProtoSwEntry.PR_ATOMIC, ProtoSwEntry.PR_ADDR});
    }

    /** As a bundle start: a new rule set (loaded from the store) and a new switch entry. */
    void loadDivert() {
        rules = new DivertRules(store);
        domain = new DivertDomain();
        assertThat(stack.core().registry().registerDomain(domain, "org.protosw.divert (test)")).as("divert domain").isNull();
        divert = new DivertProtoSw(rules);
        assertThat(stack.core().registry().register(divert, divertProperties(), "org.protosw.divert (test)").accepted())
                .as("divert registered").isTrue();
    }

    /**
     * A live upgrade, as a bundle update does it: the old switch entry goes away for an
     * upgrade, a new rule set is loaded from the store and {@code next} (made on it, e.g.
     * {@code DivertProtoSw::new}) registers. The domain stays.
     */
    <S extends ProtoSw> S upgradeDivert(java.util.function.Function<DivertRules, S> next) throws Exception {
        return upgradeDivert(next, () -> {
        });
    }

    /** What a test does while the old revision is gone and the new one not there yet. */
    interface Meanwhile {
        void run() throws Exception;
    }

    /** {@link #upgradeDivert(java.util.function.Function)}, running {@code meanwhile} between the two revisions. */
    <S extends ProtoSw> S upgradeDivert(java.util.function.Function<DivertRules, S> next, Meanwhile meanwhile) throws Exception {
        stack.core().registry().unregisterForUpgrade(divert);
        meanwhile.run();
        rules = new DivertRules(store);
        S sw = next.apply(rules);
        assertThat(stack.core().registry().register(sw, divertProperties(), "org.protosw.divert (test, next revision)").accepted())
                .as("next divert revision registered").isTrue();
        divert = sw;
        return sw;
    }

    /** As a bundle stop. */
    void unloadDivert() {
        stack.unregister(divert);
        stack.core().registry().unregisterDomain(domain);
    }

    DivertRules rules() {
        return rules;
    }

    /** Adds a rule, as {@code divert:rule -j VNET add N WORDS}. */
    void rule(Vnet v, int number, String words) {
        rules.add(v.name(), number, Arrays.asList(words.split(" ")));
    }

    long rulePackets(Vnet v, int number) {
        long[] c = rules.counters(v.name(), number);
        assertThat(c).as("rule " + number + " in " + v.name()).isNotNull();
        return c[0];
    }

    Vnet def() {
        return stack.stack();
    }

    Vnet vnet(String name) throws SocketException {
        return stack.createVnet(name);
    }

    /** An epair joining two vnets, each end up with one address in a /24. */
    record Link(Epair pair, InAddr addrA, InAddr addrB) {
    }

    Link link(Vnet va, String addrA, Vnet vb, String addrB) throws SocketException {
        Epair pair = new Epair(stack.core().nextEpairUnit());
        va.attachInterface(pair.a());
        vb.attachInterface(pair.b());
        InAddr a = address(va, pair.a(), addrA);
        InAddr b = address(vb, pair.b(), addrB);
        pair.a().setUp(true);
        pair.b().setUp(true);
        return new Link(pair, a, b);
    }

    private static InAddr address(Vnet v, NetInterface ifp, String addr) throws SocketException {
        InAddr a = InAddr.parse(addr);
        v.addAddress(ifp, new IfAddr(a, 24, new InAddr(a.bits() | 0xff)));
        return a;
    }

    static Socket udp(Vnet v, String addr, int port) throws SocketException {
        Socket s = v.socket(SocketConstants.AF_INET, SocketConstants.SOCK_DGRAM, 0);
        s.setOption(SockOpt.SO_RCVBUF, 1024 * 1024);
        s.setOption(SockOpt.SO_RCVTIMEO, 5000);
        s.bind(InetSockAddr.of(addr, port));
        return s;
    }

    static Socket divertSocket(Vnet v, int port) throws SocketException {
        Socket s = v.socket(SocketConstants.AF_DIVERT, SocketConstants.SOCK_RAW, 0);
        s.setOption(SockOpt.SO_RCVBUF, 1024 * 1024);
        s.bind(new InetSockAddr(InAddr.ANY, port));
        return s;
    }

    static Map<String, Long> stats(DivertLab lab, String proto, Vnet v) {
        ProtoEntry e = lab.stack.core().registry().entry(proto);
        ProtoInstance pi = e == null ? null : e.instance(v.name());
        return pi == null ? Map.of() : pi.statistics();
    }

    long divertStat(Vnet v, String key) {
        return stat(stats(this, "divert", v), key);
    }

    long udpStat(Vnet v, String key) {
        return stat(stats(this, "udp", v), key);
    }

    private static long stat(Map<String, Long> m, String key) {
        Long n = m.get(key);
        if (n == null) {
            fail("no counter '" + key + "' in " + m.keySet());
        }
        return n;
    }

    static void sysctl(Vnet v, String name, long value) {
        Tunable t = v.sysctl().find(name);
        assertThat(t).as("sysctl " + name).isNotNull();
        t.set(value);
    }

    static void await(String what, long timeoutMillis, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out after " + timeoutMillis + " ms waiting for " + what);
            }
            Thread.sleep(2);
        }
    }

    /** Starts a thread that {@link #close} joins. */
    Thread spawn(String name, Runnable body) {
        Thread t = Thread.ofPlatform().daemon().name("it-" + name).start(body);
        threads.add(t);
        return t;
    }

    /** Receives one datagram (or fails on the socket's timeout). */
    static byte[] receive(Socket s) throws SocketException {
        ByteBuffer b = ByteBuffer.allocate(65535);
        int n = s.recv(b, 0);
        return Arrays.copyOf(b.array(), n);
    }

    @Override
    public void close() throws InterruptedException {
        try {
            stack.close();
        } finally {
            for (Thread t : threads) {
                t.join(5_000);
                if (t.isAlive()) {
                    t.interrupt();
                    t.join(5_000);
                }
            }
        }
        for (Thread t : threads) {
            assertThat(t.isAlive()).as("test thread " + t.getName() + " stopped").isFalse();
        }
    }
}
