package org.protosw.internal.ip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.protosw.internal.ip.TestStack.addr;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.protosw.internal.net.IfTable;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.SocketException;
import org.protosw.spi.IfAddr;
import org.protosw.spi.IfNet;
import org.protosw.spi.Route;

class RouteTableTest {
    private final IfTable ifs = new IfTable("rt");
    private final TestIf em0 = new TestIf("em0", 1500, IfNet.IFF_BROADCAST);
    private final TestIf em1 = new TestIf("em1", 1500, IfNet.IFF_BROADCAST);
    private final RouteTable rt = new RouteTable("rt", ifs);

    RouteTableTest() throws Exception {
        ifs.attach(em0);
        ifs.attach(em1);
    }

    private Route route(String dst, int plen, String gw, TestIf ifp) {
        return new Route(InAddr.parse(dst), plen, gw == null ? null : InAddr.parse(gw), ifp, null, 0, Route.RTF_UP | Route.RTF_STATIC);
    }

    private String via(String dst) {
        Route r = rt.lookup(addr(dst));
        return r == null ? "none" : r.dst() + "/" + r.prefixLength();
    }

    @Test
    void longestPrefixWins() throws Exception {
        rt.add(route("0.0.0.0", 0, "10.0.0.254", em0));
        rt.add(route("10.0.0.0", 8, null, em0));
        rt.add(route("10.1.0.0", 16, null, em1));
        rt.add(route("10.1.2.0", 24, null, em0));
        rt.add(route("10.1.2.3", 32, null, em1));
        assertThat(via("10.1.2.3")).isEqualTo("10.1.2.3/32");
        assertThat(via("10.1.2.4")).isEqualTo("10.1.2.0/24");
        assertThat(via("10.1.3.4")).isEqualTo("10.1.0.0/16");
        assertThat(via("10.200.3.4")).isEqualTo("10.0.0.0/8");
        assertThat(via("8.8.8.8")).isEqualTo("0.0.0.0/0");
        assertThat(via("255.255.255.255")).isEqualTo("0.0.0.0/0");
        assertThat(rt.lookup(addr("10.1.2.3")).flagString()).contains("H");
        assertThat(rt.lookup(addr("8.8.8.8")).flagString()).isEqualTo("UGS");
    }

    @Test
    void withoutDefaultRouteUnknownNetworksHaveNone() throws Exception {
        rt.add(route("192.168.0.0", 16, null, em0));
        assertThat(rt.lookup(addr("192.169.0.1"))).isNull();
        assertThat(rt.lookup(addr("192.168.255.255"))).isNotNull();
    }

    @Test
    void destinationIsMaskedAndDuplicatesRefused() throws Exception {
        rt.add(route("10.1.2.3", 24, null, em0));
        assertThat(rt.get(InAddr.parse("10.1.2.0"), 24).dst()).isEqualTo(InAddr.parse("10.1.2.0"));
        assertThatThrownBy(() -> rt.add(route("10.1.2.77", 24, null, em1)))
                .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EEXIST));
        assertThatThrownBy(() -> rt.add(route("10.1.2.77", 33, null, em1)))
                .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
    }

    @Test
    void deleteRemovesExactlyThatPrefix() throws Exception {
        rt.add(route("10.0.0.0", 8, null, em0));
        rt.add(route("10.1.0.0", 16, null, em1));
        assertThat(rt.delete(InAddr.parse("10.1.0.0"), 16).ifp()).isSameAs(em1);
        assertThat(via("10.1.0.9")).isEqualTo("10.0.0.0/8");
        assertThatThrownBy(() -> rt.delete(InAddr.parse("10.1.0.0"), 16))
                .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
        assertThatThrownBy(() -> rt.delete(InAddr.parse("10.0.0.0"), 9))
                .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
        rt.delete(InAddr.parse("10.0.0.0"), 8);
        assertThat(rt.size()).isZero();
        assertThat(rt.lookup(addr("10.0.0.1"))).isNull();
    }

    @Test
    void listIsInNetstatOrder() throws Exception {
        rt.add(route("192.168.1.0", 24, null, em1));
        rt.add(route("10.0.0.0", 8, null, em0));
        rt.add(route("0.0.0.0", 0, "10.0.0.1", em0));
        rt.add(route("10.0.0.0", 16, null, em0));
        rt.add(route("172.16.0.0", 12, null, em0));
        List<String> order = rt.list().stream().map(r -> r.dst() + "/" + r.prefixLength()).toList();
        assertThat(order).containsExactly("0.0.0.0/0", "10.0.0.0/8", "10.0.0.0/16", "172.16.0.0/12", "192.168.1.0/24");
    }

    @Test
    void connectedRoutesFollowAddresses() throws Exception {
        IfAddr a = new IfAddr(InAddr.parse("10.0.0.1"), 24, InAddr.parse("10.0.0.255"));
        IfAddr b = new IfAddr(InAddr.parse("10.0.0.2"), 24, InAddr.parse("10.0.0.255"));
        em0.addAddress(a);
        em1.addAddress(b);
        assertThat(rt.addConnected(em0, a)).isTrue();
        assertThat(rt.addConnected(em1, b)).as("prefix already served").isFalse();
        Route r = rt.lookup(addr("10.0.0.77"));
        assertThat(r.flags() & (Route.RTF_CONNECTED | Route.RTF_UP)).isEqualTo(Route.RTF_CONNECTED | Route.RTF_UP);
        assertThat(r.gateway()).isNull();
        assertThat(r.ifaddr()).isEqualTo(a.addr());
        assertThat(rt.removeConnected(em1, b)).as("not b's route").isFalse();
        em0.removeAddress(a);
        assertThat(rt.removeConnected(em0, a)).isTrue();
        Route heir = rt.lookup(addr("10.0.0.77"));
        assertThat(heir).as("the other address of the prefix takes it over").isNotNull();
        assertThat(heir.ifp()).isSameAs(em1);
        assertThat(heir.ifaddr()).isEqualTo(b.addr());
        em1.removeAddress(b);
        assertThat(rt.removeConnected(em1, b)).isTrue();
        assertThat(rt.lookup(addr("10.0.0.77"))).isNull();
    }

    @Test
    void removingAnInterfaceDropsItsRoutes() throws Exception {
        rt.add(route("0.0.0.0", 0, "10.0.0.254", em0));
        rt.add(route("10.0.0.0", 24, null, em0));
        rt.add(route("192.168.1.0", 24, null, em1));
        assertThat(rt.removeInterface(em0)).isEqualTo(2);
        assertThat(rt.list()).extracting(Route::ifp).containsOnly(em1);
        assertThat(rt.lookup(addr("8.8.8.8"))).isNull();
    }

    @Test
    void lookupsDuringChangesSeeAConsistentTable() throws Exception {
        rt.add(route("10.0.0.0", 8, null, em0));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> readers = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            Thread th = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        Route stable = rt.lookup(addr("10.200.0.1"));
                        if (stable == null || stable.prefixLength() != 8) {
                            throw new AssertionError("stable /8 route not seen: " + stable);
                        }
                        Route r = rt.lookup(addr("10.1.2.3"));
                        if (r == null || (r.prefixLength() != 8 && r.prefixLength() != 16 && r.prefixLength() != 24)) {
                            throw new AssertionError("unexpected route " + r);
                        }
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            th.start();
            readers.add(th);
        }
        for (int i = 0; i < 2000; i++) {
            rt.add(route("10.1.0.0", 16, null, em1));
            rt.add(route("10.1.2.0", 24, null, em0));
            rt.add(route("172.16." + (i % 250) + ".0", 24, null, em1));
            rt.delete(InAddr.parse("10.1.2.0"), 24);
            rt.delete(InAddr.parse("10.1.0.0"), 16);
            rt.delete(InAddr.parse("172.16." + (i % 250) + ".0"), 24);
        }
        stop.set(true);
        for (Thread th : readers) {
            th.join(10_000);
        }
        assertThat(failure.get()).isNull();
        assertThat(rt.size()).isEqualTo(1);
    }
}
