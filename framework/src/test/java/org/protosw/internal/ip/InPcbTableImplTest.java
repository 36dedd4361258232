package org.protosw.internal.ip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.protosw.internal.ip.TestStack.addr;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.GlobalLock;
import org.protosw.internal.kern.SysctlTree;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SocketException;
import org.protosw.spi.IfNet;
import org.protosw.spi.InPcb;
import org.protosw.spi.Route;

class InPcbTableImplTest {
    private static final int A = addr("10.0.0.1");
    private static final int B = addr("10.0.0.2");
    private static final int REMOTE = addr("192.168.1.9");

    private final SysctlTree sysctl = new SysctlTree();
    private final TestIf em0 = new TestIf("em0", 1500, IfNet.IFF_BROADCAST);
    private final InPcbTableImpl<String> t;

    InPcbTableImplTest() {
        InPcbTableImpl.registerTunables(sysctl);
        Route toRemote = new Route(InAddr.parse("192.168.1.0"), 24, null, em0, new InAddr(B), 0, Route.RTF_UP);
        t = new InPcbTableImpl<>("udp", sysctl, a -> a == A || a == B, dst -> (dst >>> 8) == (REMOTE >>> 8) ? toRemote : null);
    }

    private static InetSockAddr sa(int addr, int port) {
        return new InetSockAddr(new InAddr(addr), port);
    }

    private InPcb<String> bound(String name, int addr, int port, boolean reuseAddr, boolean reusePort) throws SocketException {
        InPcb<String> p = t.alloc(name);
        t.bind(p, sa(addr, port), reuseAddr, reusePort);
        return p;
    }

    private void assertBindFails(int addr, int port, boolean reuseAddr, boolean reusePort, Errno errno) {
        InPcb<String> p = t.alloc("x");
        assertThatThrownBy(() -> t.bind(p, sa(addr, port), reuseAddr, reusePort))
                .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(errno));
        t.remove(p);
    }

    @Test
    void identicalAddressAndPortNeedReusePortOnAll() throws Exception {
        bound("a", 0, 5000, false, false);
        assertBindFails(0, 5000, false, false, Errno.EADDRINUSE);
        assertBindFails(0, 5000, true, true, Errno.EADDRINUSE);
        bound("b", A, 6000, false, true);
        assertBindFails(A, 6000, true, false, Errno.EADDRINUSE);
        bound("c", A, 6000, false, true);
    }

    @Test
    void specificBesideWildcardNeedsReuseAddrOnTheSecond() throws Exception {
        bound("wild", 0, 5000, false, false);
        assertBindFails(A, 5000, false, false, Errno.EADDRINUSE);
        bound("specific", A, 5000, true, false);

        bound("specific2", B, 7000, false, false);
        assertBindFails(0, 7000, false, false, Errno.EADDRINUSE);
        bound("wild2", 0, 7000, true, false);

        bound("x", A, 8000, false, false);
        bound("y", B, 8000, false, false);
    }

    @Test
    void bindErrors() throws Exception {
        InPcb<String> p = bound("a", A, 5000, false, false);
        assertThatThrownBy(() -> t.bind(p, sa(A, 5001), false, false))
                .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        assertBindFails(addr("10.9.9.9"), 5000, false, false, Errno.EADDRNOTAVAIL);
        t.remove(p);
        assertThatThrownBy(() -> t.bind(p, sa(A, 5001), false, false))
                .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        bound("again", A, 5000, false, false);
    }

    @Test
    void ephemeralPortsStayInRangeAndRunOut() throws Exception {
        sysctl.find(InPcbTableImpl.PORT_FIRST).set(20000);
        sysctl.find(InPcbTableImpl.PORT_LAST).set(20009);
        Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            InPcb<String> p = bound("p" + i, 0, 0, false, false);
            assertThat(p.lport()).isBetween(20000, 20009);
            ports.add(p.lport());
        }
        assertThat(ports).hasSize(10);
        assertBindFails(0, 0, false, false, Errno.EADDRNOTAVAIL);
    }

    @Test
    void ephemeralPortsAreRandomized() throws Exception {
        Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            InPcb<String> p = bound("p", 0, 0, false, false);
            assertThat(p.lport()).isBetween(10000, 65535);
            ports.add(p.lport());
            t.remove(p);
        }
        assertThat(ports).as("RFC 6056: not a predictable sequence").hasSizeGreaterThan(90);
    }

    @Test
    void connectChoosesSourceFromTheRoute() throws Exception {
        InPcb<String> p = t.alloc("c");
        t.connect(p, sa(REMOTE, 53));
        assertThat(p.laddr()).isEqualTo(B);
        assertThat(p.lport()).isBetween(10000, 65535);
        assertThat(p.faddr()).isEqualTo(REMOTE);
        assertThat(p.fport()).isEqualTo(53);
        assertThat(p.isConnected()).isTrue();
        assertThat(t.lookup(REMOTE, 53, B, p.lport(), false)).isSameAs(p);
        assertThatThrownBy(() -> t.connect(p, sa(REMOTE, 54)))
                .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EISCONN));

        int lport = p.lport();
        t.disconnect(p);
        assertThat(p.isConnected()).isFalse();
        assertThat(p.laddr()).as("the address connect chose is forgotten").isZero();
        assertThat(p.lport()).isEqualTo(lport);
        assertThat(t.lookup(REMOTE, 53, B, lport, false)).isNull();
        assertThat(t.lookup(REMOTE, 53, B, lport, true)).isSameAs(p);
    }

    @Test
    void connectErrors() throws Exception {
        InPcb<String> p = t.alloc("c");
        assertThatThrownBy(() -> t.connect(p, sa(addr("8.8.8.8"), 53)))
                .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENETUNREACH));
        assertThatThrownBy(() -> t.connect(p, sa(REMOTE, 0)))
                .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EADDRNOTAVAIL));
        assertThatThrownBy(() -> t.connect(p, sa(0, 53)))
                .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EADDRNOTAVAIL));
        InPcb<String> x = bound("x", A, 5000, true, true);
        InPcb<String> y = bound("y", A, 5000, true, true);
        t.connect(x, sa(REMOTE, 53));
        assertThatThrownBy(() -> t.connect(y, sa(REMOTE, 53)))
                .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EADDRINUSE));
        assertThat(x.laddr()).as("an explicit address is kept").isEqualTo(A);
    }

    @Test
    void lookupPrefersExactThenSpecificThenWildcard() throws Exception {
        InPcb<String> wild = bound("wild", 0, 53, false, false);
        InPcb<String> spec = bound("spec", A, 53, true, true);
        InPcb<String> conn = bound("conn", A, 53, true, true);
        t.connect(conn, sa(REMOTE, 1000));
        assertThat(t.lookup(REMOTE, 1000, A, 53, true)).isSameAs(conn);
        assertThat(t.lookup(REMOTE, 1001, A, 53, true)).isSameAs(spec);
        assertThat(t.lookup(REMOTE, 1000, B, 53, true)).isSameAs(wild);
        assertThat(t.lookup(REMOTE, 1001, A, 53, false)).isNull();
        assertThat(t.lookup(REMOTE, 1001, A, 54, true)).isNull();
        t.remove(spec);
        assertThat(t.lookup(REMOTE, 1001, A, 53, true)).isSameAs(wild);
        t.remove(conn);
        assertThat(t.lookup(REMOTE, 1000, A, 53, true)).isSameAs(wild);
        assertThat(t.list()).extracting(InPcb::owner).containsExactly("wild");
    }

    @Test
    void broadcastFanOut() throws Exception {
        bound("wild", 0, 67, false, true);
        bound("spec", A, 67, true, false);
        bound("wild-too", 0, 67, true, true);
        InPcb<String> c = t.alloc("connected");
        t.bind(c, sa(0, 68), false, false);
        t.connect(c, sa(REMOTE, 67));
        List<String> got = new ArrayList<>();
        t.forEachMatch(REMOTE, 68, addr("10.0.0.255"), 67, p -> got.add(p.owner()));
        assertThat(got).as("the specific address does not take broadcasts").containsExactlyInAnyOrder("wild", "wild-too");
        got.clear();
        t.forEachMatch(REMOTE, 68, A, 67, p -> got.add(p.owner()));
        assertThat(got).containsExactlyInAnyOrder("wild", "spec", "wild-too");
        got.clear();
        t.forEachMatch(REMOTE, 67, addr("10.0.0.255"), 68, p -> got.add(p.owner()));
        assertThat(got).as("connect bound it to %s", new InAddr(B)).isEmpty();
        t.forEachMatch(REMOTE, 67, B, 68, p -> got.add(p.owner()));
        assertThat(got).containsExactly("connected");
        got.clear();
        t.forEachMatch(REMOTE, 99, B, 68, p -> got.add(p.owner()));
        assertThat(got).as("not its peer").isEmpty();
    }

    @Test
    void acceptedConnectionsShareTheListenersPort() throws Exception {
        InPcb<String> listener = bound("listen", A, 80, false, false);
        InPcb<String> c = t.alloc("accepted");
        t.insertConnected(c, A, 80, REMOTE, 40000);
        assertThat(t.lookup(REMOTE, 40000, A, 80, true)).isSameAs(c);
        assertThat(t.lookup(REMOTE, 40001, A, 80, true)).isSameAs(listener);
        InPcb<String> dup = t.alloc("dup");
        assertThatThrownBy(() -> t.insertConnected(dup, A, 80, REMOTE, 40000))
                .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EADDRINUSE));
        t.remove(listener);
        assertBindFails(A, 80, false, false, Errno.EADDRINUSE);
        bound("restart", A, 80, true, false);
    }

    @Test
    void lookupsTakeNoLock() throws Exception {
        InPcb<String> p = bound("a", A, 5000, false, false);
        long before = GlobalLock.acquisitions();
        for (int i = 0; i < 1000; i++) {
            assertThat(t.lookup(REMOTE, 1, A, 5000, true)).isSameAs(p);
        }
        assertThat(GlobalLock.acquisitions()).isEqualTo(before);
        // the counter counts: an insert and a remove each take the table's lock
        InPcb<String> q = bound("b", A, 5001, false, false);
        t.remove(q);
        assertThat(GlobalLock.acquisitions() - before).as("global lock acquisitions of a bind and a remove").isGreaterThanOrEqualTo(2);
    }

    @Test
    void concurrentLookupsWhileBindingAndRemoving() throws Exception {
        InPcb<String> stable = bound("stable", A, 4096, false, false);
        InPcb<String> stableConn = t.alloc("stable-conn");
        t.insertConnected(stableConn, A, 4096, REMOTE, 777);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            Thread th = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        if (t.lookup(REMOTE, 1, A, 4096, true) != stable) {
                            throw new AssertionError("lost the bound entry");
                        }
                        if (t.lookup(REMOTE, 777, A, 4096, true) != stableConn) {
                            throw new AssertionError("lost the connected entry");
                        }
                        InPcb<String> x = t.lookup(REMOTE, 9, B, 5120, true);
                        if (x != null && x.lport() != 5120) {
                            throw new AssertionError("inconsistent entry " + x);
                        }
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            th.start();
            readers.add(th);
        }
        for (int i = 0; i < 3000; i++) {
            // ports 5120 and 4096 + 1024k share buckets with the stable entries
            InPcb<String> a = bound("churn", B, 5120, false, false);
            InPcb<String> b = bound("churn2", 0, 4096 + 1024 * (2 + i % 50), false, false);
            InPcb<String> c = t.alloc("churn3");
            t.bind(c, sa(A, 0), false, false);
            t.connect(c, sa(REMOTE, 1 + i % 500));
            t.disconnect(c);
            t.remove(a);
            t.remove(b);
            t.remove(c);
        }
        stop.set(true);
        for (Thread th : readers) {
            th.join(10_000);
        }
        assertThat(failure.get()).isNull();
        assertThat(t.list()).hasSize(2);
    }
}
