package org.protosw.internal.kern;

import java.util.Map;

import org.protosw.internal.sw.ProtoSwRegistry;
import org.protosw.socket.NetStack;
import org.protosw.socket.SocketException;
import org.protosw.spi.ProtoSw;

/**
 * The stack without OSGi: the core, its default instance and the protocols handed in, for
 * unit tests, benchmarks and embedding in a plain Java program.
 */
public final class StandaloneStack implements AutoCloseable {
    private final StackCore core;

    public StandaloneStack() throws SocketException {
        ProtoSwRegistry registry = new ProtoSwRegistry();
        core = new StackCore(registry, v -> SysctlTree.Store.NONE);
        registry.register(new RawIpSwitch(), RawIpSwitch.properties(), "org.protosw.framework (standalone)");
        core.createVnet(NetStack.DEFAULT_VNET);
    }

    /** Loads a protocol as its bundle would register it (properties as {@code ProtoSwEntry}). */
    public StandaloneStack register(ProtoSw sw, Map<String, Object> properties, String owner) {
        core.registry().register(sw, properties, owner);
        return this;
    }

    /** Unloads a protocol as if its bundle stopped. */
    public void unregister(ProtoSw sw) {
        core.registry().unregister(sw);
    }

    public StackCore core() {
        return core;
    }

    /** The default instance. */
    public Vnet stack() {
        return core.vnet(NetStack.DEFAULT_VNET);
    }

    public Vnet createVnet(String name) throws SocketException {
        return core.createVnet(name);
    }

    @Override
    public void close() {
        core.shutdown();
    }
}
