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
        this(Map.of());
    }

    /**
     * A stack whose tunables start from {@code sysctls} (name to value, as {@code net:sysctl}
     * takes them) in every instance, the way a saved configuration would set them: a tunable
     * registered later, by a protocol, takes its value when it appears.
     */
    public StandaloneStack(Map<String, String> sysctls) throws SocketException {
        Map<String, String> given = Map.copyOf(sysctls);
        SysctlTree.Store store = given.isEmpty() ? SysctlTree.Store.NONE : new SysctlTree.Store() {
            @Override
            public String load(String name) {
                return given.get(name);
            }

            @Override
            public void save(String name, String value) {
            }
        };
        ProtoSwRegistry registry = new ProtoSwRegistry();
        core = new StackCore(registry, v -> store);
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
