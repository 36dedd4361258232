package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.protosw.tcp.internal.TcpTestbed.*;

import java.lang.reflect.Proxy;
import java.util.Collection;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.dto.BundleDTO;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.util.promise.Promise;
import org.osgi.util.promise.Promises;
import org.protosw.internal.net.PipeConfig;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.tcp.TcpSockOpts;
import org.protosw.tcp.cc.AckType;
import org.protosw.tcp.cc.CcVars;
import org.protosw.tcp.cc.CongestionControl;
import org.protosw.tcp.cc.CongestionSignal;

/**
 * Picking algorithms: the default, TCP_CONGESTION, and what happens to connections when an
 * algorithm's service goes away (simulated on the registry, as DS would call it).
 */
class CcSelectionTest {
    private TcpTestbed tb;
    private CcRegistry reg;

    /** A third party's algorithm: NewReno's arithmetic, counting the per-connection setups. */
    static final class ThirdParty implements CongestionControl {
        private final NewReno reno = new NewReno();
        final AtomicInteger inits = new AtomicInteger();
        final AtomicInteger destroys = new AtomicInteger();
        final AtomicInteger acks = new AtomicInteger();

        @Override
        public void init(CcVars ccv) {
            inits.incrementAndGet();
            reno.init(ccv);
        }

        @Override
        public void destroy(CcVars ccv) {
            destroys.incrementAndGet();
            reno.destroy(ccv);
        }

        @Override
        public void connInit(CcVars ccv) {
            reno.connInit(ccv);
        }

        @Override
        public void ackReceived(CcVars ccv, AckType type) {
            acks.incrementAndGet();
            reno.ackReceived(ccv, type);
        }

        @Override
        public void congSignal(CcVars ccv, CongestionSignal signal) {
            reno.congSignal(ccv, signal);
        }

        @Override
        public void postRecovery(CcVars ccv) {
            reno.postRecovery(ccv);
        }

        @Override
        public void afterIdle(CcVars ccv) {
            reno.afterIdle(ccv);
        }
    }

    /** A connection a -> b whose sender streams {@code size} bytes; the receiver's result is the future. */
    private record Flow(Socket client, Socket server, Future<byte[]> received, Future<Void> sent, byte[] data) {
        void check() throws Exception {
            sent.get(30, TimeUnit.SECONDS);
            byte[] got = received.get(30, TimeUnit.SECONDS);
            assertThat(got.length).isEqualTo(data.length);
            assertThat(sha256(got)).isEqualTo(sha256(data));
        }

        String algo() throws SocketException {
            return client.getOption(TcpSockOpts.TCP_CONGESTION);
        }
    }

    private Flow flow(Socket listener, int port, int size, String algo) throws Exception {
        byte[] data = randomBytes(size, port);
        Socket c = tcpSocket(tb.a);
        if (algo != null) {
            c.setOption(TcpSockOpts.TCP_CONGESTION, algo);
        }
        c.connect(new InetSockAddr(B, port));
        Socket s = listener.accept();
        Future<byte[]> received = tb.async(() -> readAll(s, size + 1));
        Future<Void> sent = tb.async(() -> {
            sendAll(c, data, 16 * 1024);
            c.shutdown(SocketConstants.SHUT_WR);
            return null;
        });
        return new Flow(c, s, received, sent, data);
    }

    @BeforeEach
    void setUp() throws Exception {
        tb = new TcpTestbed();
        reg = tb.sw.ccRegistry();
        // slow enough that a transfer is still running while the test changes things
        tb.a.pipes().config(1, PipeConfig.parse("bw 20Mbit/s delay 10ms"));
        tb.a.pipes().attach(1, tb.pair.a(), false);
    }

    @AfterEach
    void tearDown() {
        tb.close();
    }

    @Test
    void cubicIsTheDefaultAndTcpCongestionPicksPerSocket() throws Exception {
        try (Socket s = tcpSocket(tb.a)) {
            assertThat(s.getOption(TcpSockOpts.TCP_CONGESTION)).isEqualTo("cubic");
            s.setOption(TcpSockOpts.TCP_CONGESTION, "newreno");
            assertThat(s.getOption(TcpSockOpts.TCP_CONGESTION)).isEqualTo("newreno");
            assertThat(s.getOption(TcpSockOpts.TCP_INFO).congestionControl()).isEqualTo("newreno");
            assertThatThrownBy(() -> s.setOption(TcpSockOpts.TCP_CONGESTION, "bbr"))
                    .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT))
                    .hasMessageContaining("'bbr'").hasMessageContaining("available: cubic, newreno");
            assertThatThrownBy(() -> s.setOption(TcpSockOpts.TCP_CONGESTION, ""))
                    .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
            assertThat(s.getOption(TcpSockOpts.TCP_CONGESTION)).isEqualTo("newreno");
        }
    }

    @Test
    void acceptedConnectionsUseTheListenersAlgorithmAndSwitchingMidTransferKeepsTheBytes() throws Exception {
        try (Socket l = tcpSocket(tb.b)) {
            l.setOption(TcpSockOpts.TCP_CONGESTION, "newreno");
            l.bind(new InetSockAddr(B, 8200));
            l.listen(4);
            Flow f = flow(l, 8200, 1 << 20, null);
            assertThat(f.server().getOption(TcpSockOpts.TCP_CONGESTION)).isEqualTo("newreno");
            assertThat(f.algo()).isEqualTo("cubic");
            assertThat(eventually(5000, () -> tb.stat(tb.a, "data packets sent") > 100)).isTrue();
            f.client().setOption(TcpSockOpts.TCP_CONGESTION, "newreno");
            long cwnd = f.client().getOption(TcpSockOpts.TCP_INFO).cwnd();
            assertThat(cwnd).isGreaterThanOrEqualTo(f.client().getOption(TcpSockOpts.TCP_MAXSEG));
            assertThat(f.algo()).isEqualTo("newreno");
            f.check();
            f.client().close();
            f.server().close();
        }
    }

    @Test
    void switchingTheDefaultWhileConnectionsRun() throws Exception {
        CcCommand cmd = new CcCommand(reg);
        try (Socket l = listener(tb.b, B, 8300, 8)) {
            Flow first = flow(l, 8300, 1 << 20, null);
            assertThat(eventually(5000, () -> tb.stat(tb.a, "data packets sent") > 50)).isTrue();
            assertThat(cmd.cc("set", "default", "newreno")).startsWith("default: cubic -> newreno");
            Flow second = flow(l, 8300, 512 << 10, null);
            assertThat(first.algo()).isEqualTo("cubic");
            assertThat(second.algo()).isEqualTo("newreno");
            String list = cmd.cc();
            // the default vnet (the clients') changed; vnet b (the listener's) still says cubic
            assertThat(list).containsPattern("(?m)^newreno\\s+default\\s+[1-9]");
            assertThat(list).containsPattern("(?m)^cubic\\s+b\\s+[1-9]");
            first.check();
            second.check();
            for (Flow f : new Flow[] {first, second}) {
                f.client().close();
                f.server().close();
            }
        }
        assertThat(reg.defaultFor(tb.tcp(tb.a)).name()).isEqualTo("newreno");
        assertThat(tb.a.sysctl().findString("net.inet.tcp.cc.algorithm").get()).isEqualTo("newreno");
        assertThat(reg.defaultFor(tb.tcp(tb.b)).name()).isEqualTo("cubic");
    }

    @Test
    void unloadingAnAlgorithmMovesItsConnectionsToTheDefault() throws Exception {
        ThirdParty third = new ThirdParty();
        assertThat(reg.register("third", third, "test.bundle [42]")).isTrue();
        assertThat(reg.register("third", new ThirdParty(), "other.bundle [43]")).isFalse();
        try (Socket l = listener(tb.b, B, 8400, 4)) {
            Flow f = flow(l, 8400, 1 << 20, "third");
            assertThat(eventually(5000, () -> third.acks.get() > 20)).isTrue();
            assertThat(reg.connectionCounts()).containsEntry("third", 1);
            assertThat(reg.unregister(third)).isEqualTo(1);
            assertThat(f.algo()).isEqualTo("cubic");
            assertThat(third.destroys.get()).isEqualTo(third.inits.get());
            long cwnd = f.client().getOption(TcpSockOpts.TCP_INFO).cwnd();
            assertThat(cwnd).isGreaterThanOrEqualTo(f.client().getOption(TcpSockOpts.TCP_MAXSEG));
            assertThatThrownBy(() -> f.client().setOption(TcpSockOpts.TCP_CONGESTION, "third"))
                    .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
            f.check();
            f.client().close();
            f.server().close();
        }
        assertThat(reg.unregister(third)).isZero();
    }

    @Test
    void unloadingTheDefaultFallsBackToNewRenoUntilItReturns() throws Exception {
        ThirdParty third = new ThirdParty();
        reg.register("third", third, "test.bundle [42]");
        CcCommand cmd = new CcCommand(reg);
        assertThat(cmd.cc("set", "default", "third")).isEqualTo("default: cubic -> third\n");
        assertThat(cmd.cc("-j", "b", "set", "default", "third")).isEqualTo("default of vnet b: cubic -> third\n");
        try (Socket l = listener(tb.b, B, 8500, 4)) {
            Flow f = flow(l, 8500, 512 << 10, null);
            assertThat(f.algo()).isEqualTo("third");
            // the client, the listener and the connection it accepted: all took the default
            assertThat(reg.unregister(third)).isEqualTo(3);
            assertThat(f.server().getOption(TcpSockOpts.TCP_CONGESTION)).isEqualTo("newreno");
            assertThat(reg.defaultFor(tb.tcp(tb.a)).name()).isEqualTo("newreno");
            assertThat(f.algo()).isEqualTo("newreno");
            assertThat(cmd.cc("list"))
                    .contains("vnet b: net.inet.tcp.cc.algorithm is 'third', which is not available: new connections use newreno until it registers")
                    .contains("vnet default: net.inet.tcp.cc.algorithm is 'third', which is not available");
            try (Socket s = tcpSocket(tb.a)) {
                assertThat(s.getOption(TcpSockOpts.TCP_CONGESTION)).isEqualTo("newreno");
            }
            f.check();
            f.client().close();
            f.server().close();
        }
        reg.register("third", third, "test.bundle [42]");
        assertThat(reg.defaultFor(tb.tcp(tb.a)).name()).isEqualTo("third");
    }

    @Test
    void newRenoOutlivesItsService() throws Exception {
        CcAlgo service = reg.lookup("newreno");
        tb.tcp(tb.a).ccAlgorithm.set("newreno");
        tb.tcp(tb.b).ccAlgorithm.set("newreno");
        try (Socket l = listener(tb.b, B, 8600, 4)) {
            Flow f = flow(l, 8600, 256 << 10, null);
            assertThat(reg.unregister(service.impl())).isEqualTo(3);
            CcAlgo builtIn = reg.lookup("newreno");
            assertThat(builtIn).isNotSameAs(service);
            assertThat(builtIn.provider()).contains("built in");
            assertThat(reg.defaultFor(tb.tcp(tb.a))).isSameAs(builtIn);
            assertThat(f.algo()).isEqualTo("newreno");
            assertThat(reg.names()).containsExactly("cubic", "newreno");
            f.check();
            f.client().close();
            f.server().close();
        }
    }

    /** SCR as far as tcp:cc uses it: disabling a component unregisters its service, as SCR would. */
    private static final class FakeScr implements ServiceComponentRuntime {
        final Map<ComponentDescriptionDTO, CongestionControl> impls = new HashMap<>();
        final Set<ComponentDescriptionDTO> disabled = new HashSet<>();
        final CcRegistry reg;

        FakeScr(CcRegistry reg) {
            this.reg = reg;
        }

        ComponentDescriptionDTO add(String name, CongestionControl impl) {
            ComponentDescriptionDTO d = new ComponentDescriptionDTO();
            d.name = "cc." + name;
            d.serviceInterfaces = new String[] {CongestionControl.class.getName()};
            d.properties = Map.of(CongestionControl.NAME_PROPERTY, name);
            d.bundle = new BundleDTO();
            d.bundle.id = 7;
            d.bundle.symbolicName = "org.protosw.tcp";
            impls.put(d, impl);
            return d;
        }

        @Override
        public Collection<ComponentDescriptionDTO> getComponentDescriptionDTOs(Bundle... bundles) {
            return List.copyOf(impls.keySet());
        }

        @Override
        public ComponentDescriptionDTO getComponentDescriptionDTO(Bundle bundle, String name) {
            return impls.keySet().stream().filter(d -> d.name.equals(name)).findFirst().orElse(null);
        }

        @Override
        public Collection<ComponentConfigurationDTO> getComponentConfigurationDTOs(ComponentDescriptionDTO description) {
            return List.of();
        }

        @Override
        public boolean isComponentEnabled(ComponentDescriptionDTO description) {
            return !disabled.contains(description);
        }

        @Override
        public Promise<Void> enableComponent(ComponentDescriptionDTO description) {
            if (disabled.remove(description)) {
                reg.register(description.properties.get(CongestionControl.NAME_PROPERTY).toString(), impls.get(description),
                        "org.protosw.tcp [7]");
            }
            return Promises.resolved(null);
        }

        @Override
        public Promise<Void> disableComponent(ComponentDescriptionDTO description) {
            if (disabled.add(description)) {
                reg.unregister(impls.get(description));
            }
            return Promises.resolved(null);
        }
    }

    @Test
    void ccUnloadRefusesTheDefaultAndMovesConnectionsOtherwise() throws Exception {
        CcCommand cmd = new CcCommand(reg);
        assertThatThrownBy(() -> cmd.cc("unload", "cubic")).hasToString(
                "cc unload: cubic is the default algorithm of vnet b, default and stays loaded; pick another first "
                        + "(tcp:cc [-j VNET] set default NAME)");
        assertThatThrownBy(() -> cmd.cc("unload", "newreno")).hasToString(
                "cc unload: newreno is TCP's fallback algorithm and stays loaded");
        cmd.cc("set", "default", "newreno");
        assertThatThrownBy(() -> cmd.cc("unload", "cubic")).hasToString(
                "cc unload: cubic is the default algorithm of vnet b and stays loaded; pick another first "
                        + "(tcp:cc [-j VNET] set default NAME)");
        cmd.cc("-j", "b", "set", "default", "newreno");
        assertThatThrownBy(() -> cmd.cc("unload", "cubic")).hasToString(
                "cc unload: the Declarative Services runtime is not available");
        FakeScr scr = new FakeScr(reg);
        scr.add("cubic", reg.lookup("cubic").impl());
        scr.add("newreno", reg.lookup("newreno").impl());
        cmd.scr = scr;
        try (Socket l = listener(tb.b, B, 8700, 4)) {
            Flow f = flow(l, 8700, 512 << 10, "cubic");
            assertThat(cmd.cc("unload", "cubic")).isEqualTo(
                    "unloaded cubic: 1 connection(s) moved to newreno (tcp:cc load cubic brings it back)\n");
            assertThat(f.algo()).isEqualTo("newreno");
            assertThat(reg.names()).containsExactly("newreno");
            assertThat(cmd.cc()).containsPattern("(?m)^cubic\\s+-\\s+-\\s+org.protosw.tcp \\[7\\] \\(unloaded\\)$");
            assertThatThrownBy(() -> f.client().setOption(TcpSockOpts.TCP_CONGESTION, "cubic"))
                    .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT))
                    .hasMessageContaining("available: newreno");
            assertThat(cmd.cc("load", "cubic")).isEqualTo("loaded cubic\n");
            assertThatThrownBy(() -> cmd.cc("load", "cubic")).hasToString("cc load: cubic is loaded already");
            f.client().setOption(TcpSockOpts.TCP_CONGESTION, "cubic");
            f.check();
            f.client().close();
            f.server().close();
        }
    }

    /**
     * The default is each vnet's sysctl net.inet.tcp.cc.algorithm, as in FreeBSD: net:sysctl
     * and tcp:cc set the same thing, the sysctl refuses what is not registered, and a name
     * that stops being available (a saved one whose bundle is gone) falls back to newreno.
     */
    @Test
    void theDefaultIsEachVnetsSysctl() throws Exception {
        CcCommand cmd = new CcCommand(reg);
        var algo = tb.b.sysctl().findString(TcpProtocol.SYSCTL_CC_ALGORITHM);
        assertThat(algo.get()).isEqualTo("cubic");
        algo.set("newreno");
        try (Socket s = tcpSocket(tb.b)) {
            assertThat(s.getOption(TcpSockOpts.TCP_CONGESTION)).isEqualTo("newreno");
        }
        try (Socket s = tcpSocket(tb.a)) {
            assertThat(s.getOption(TcpSockOpts.TCP_CONGESTION)).isEqualTo("cubic");
        }
        assertThat(cmd.cc("-j", "b", "set", "default", "cubic")).isEqualTo("default of vnet b: newreno -> cubic\n");
        assertThat(algo.get()).isEqualTo("cubic");
        assertThatThrownBy(() -> algo.set("vegas")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("net.inet.tcp.cc.algorithm: no congestion control algorithm 'vegas' (available: cubic, newreno)");

        ThirdParty vegas = new ThirdParty();
        reg.register("vegas", vegas, "test.bundle [42]");
        algo.set("vegas");
        reg.unregister(vegas);
        assertThat(algo.get()).as("the name stays, as a saved one would").isEqualTo("vegas");
        try (Socket s = tcpSocket(tb.b)) {
            assertThat(s.getOption(TcpSockOpts.TCP_CONGESTION)).isEqualTo("newreno");
        }
        assertThat(cmd.cc()).contains("vnet b: net.inet.tcp.cc.algorithm is 'vegas', which is not available: "
                + "new connections use newreno until it registers");
        reg.register("vegas", vegas, "test.bundle [42]");
        try (Socket s = tcpSocket(tb.b)) {
            assertThat(s.getOption(TcpSockOpts.TCP_CONGESTION)).isEqualTo("vegas");
        }
        assertThat(cmd.cc()).containsPattern("(?m)^vegas\\s+b\\s+0\\s+test.bundle \\[42\\]$");
    }

    @Test
    void ccCommandErrorsAreOneLine() {
        CcCommand cmd = new CcCommand(reg);
        assertThat(cmd.cc()).startsWith("NAME").contains("cubic").contains("newreno");
        assertThatThrownBy(() -> cmd.cc("set", "default", "vegas"))
                .hasToString("cc set default: no congestion control algorithm 'vegas' (available: cubic, newreno)");
        assertThatThrownBy(() -> cmd.cc("set", "vegas")).hasToString(
                "cc set: expected 'set default NAME' (usage: " + CcCommand.USAGE + ")");
        assertThatThrownBy(() -> cmd.cc("frob", "cubic")).hasToString(
                "cc: unknown subcommand 'frob cubic' (usage: " + CcCommand.USAGE + ")");
        assertThatThrownBy(() -> cmd.cc("unload")).hasToString(
                "cc unload: expected one algorithm name (usage: " + CcCommand.USAGE + ")");
        assertThatThrownBy(() -> cmd.cc("unload", "vegas")).hasToString(
                "cc unload: no congestion control algorithm 'vegas' (available: cubic, newreno)");
        assertThatThrownBy(() -> cmd.cc("-j", "nope", "set", "default", "newreno")).hasToString(
                "cc set default: no vnet 'nope' runs TCP (vnets: b, default)");
        assertThatThrownBy(() -> cmd.cc("-j")).hasToString("cc: missing vnet name after -j (usage: " + CcCommand.USAGE + ")");
        assertThatThrownBy(() -> cmd.cc("-j", "b", "list")).hasToString(
                "cc: -j VNET goes with 'set default' only: the list covers every vnet, and an algorithm is loaded for "
                        + "all of them (usage: " + CcCommand.USAGE + ")");
        assertThatThrownBy(() -> cmd.cc("-x")).hasToString(
                "cc: unknown option '-x' (accepted: -j VNET before set default; usage: " + CcCommand.USAGE + ")");
        assertThat(reg.defaultFor(tb.tcp(tb.a)).name()).isEqualTo("cubic");
    }
}
