package org.protosw.internal.socket;

import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.time.Duration;
import java.util.Map;

import org.protosw.internal.kern.SysctlTree;
import org.protosw.internal.sw.FakeVnet;
import org.protosw.internal.sw.ProtoSwRegistry;
import org.protosw.internal.sw.RegisterResult;
import org.protosw.socket.NetStack;
import org.protosw.socket.Poller;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;
import org.protosw.spi.ProtoSw;

/**
 * One registry and one stack instance ("default") with its socket layer, as the lead's
 * components will wire them, plus the two test protocols when asked.
 */
public final class TestNet implements AutoCloseable {
    public final ProtoSwRegistry registry;
    public final FakeVnet vnet;
    public final SysctlTree sysctl = new SysctlTree();
    public final Stack stack;
    public final SocketLayer layer;

    public TestNet() {
        this(new ProtoSwRegistry(Duration.ofSeconds(5)), "default");
    }

    public TestNet(ProtoSwRegistry registry, String name) {
        this.registry = registry;
        this.vnet = new FakeVnet(name);
        registry.addVnet(vnet);
        this.stack = new Stack(name);
        this.layer = new SocketLayer(name, stack, registry, sysctl);
        stack.layer = layer;
        vnet.layer = layer;
    }

    /** The NetStack service the lead registers for a vnet, reduced to delegation. */
    public static final class Stack implements NetStack {
        private final String name;
        SocketLayer layer;

        Stack(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Socket socket(int domain, int type, int protocol) throws SocketException {
            return layer.socket(domain, type, protocol);
        }

        @Override
        public Poller newPoller() {
            return layer.newPoller();
        }

        @Override
        public org.protosw.socket.SockAddr parseAddress(int family, String text) throws SocketException {
            return layer.parseAddress(family, text);
        }
    }

    public RegisterResult register(ProtoSw sw, Map<String, Object> props) {
        return registry.register(sw, props, "test.bundle [7] 1.0.0");
    }

    public TestDgramProto dgramProto() {
        TestDgramProto p = new TestDgramProto();
        RegisterResult r = register(p, TestDgramProto.props("tudp", 17));
        if (!r.accepted()) {
            throw new IllegalStateException(r.toString());
        }
        return p;
    }

    public TestStreamProto streamProto() {
        TestStreamProto p = new TestStreamProto();
        RegisterResult r = register(p, TestStreamProto.props("tstream", 6));
        if (!r.accepted()) {
            throw new IllegalStateException(r.toString());
        }
        return p;
    }

    public Socket dgram() throws SocketException {
        return layer.socket(AF_INET, SOCK_DGRAM, 0);
    }

    public Socket stream() throws SocketException {
        return layer.socket(AF_INET, SOCK_STREAM, 0);
    }

    @Override
    public void close() {
        registry.removeVnet(vnet.name());
    }
}
