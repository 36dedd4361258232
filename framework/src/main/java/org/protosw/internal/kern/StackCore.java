package org.protosw.internal.kern;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Function;

import org.protosw.internal.sw.ProtoSwRegistry;
import org.protosw.internal.sw.ScopedContext;
import org.protosw.socket.Errno;
import org.protosw.socket.NetStack;
import org.protosw.socket.SocketException;
import org.protosw.spi.NetModule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole stack in one runtime: the protocol switch registry shared by every instance,
 * the instances (vnets), and the modules that join each instance. Plain Java: the OSGi
 * component around it only feeds it services and publishes the instances.
 */
public final class StackCore {
    private static final Logger LOG = LoggerFactory.getLogger(StackCore.class);
    private static final String NAME_PATTERN = "[A-Za-z][A-Za-z0-9_.-]{0,31}";

    /** Told when an instance comes or goes, to publish it as a service. */
    public interface VnetListener {
        void added(Vnet vnet);

        void removed(Vnet vnet);
    }

    private final ProtoSwRegistry registry;
    private final Map<String, Vnet> vnets = new ConcurrentHashMap<>();
    private final List<ModuleEntry> modules = new CopyOnWriteArrayList<>();
    private final AtomicInteger epairUnits = new AtomicInteger();
    private final Function<String, SysctlTree.Store> stores;
    private final List<VnetListener> listeners = new CopyOnWriteArrayList<>();
    private final Object vnetLock = new Object();
    /** Names of instances being destroyed: taken until the old instance has left the switch. */
    private final Set<String> dying = new HashSet<>();

    /**
     * @param stores the saved tunables of an instance by its name
     */
    public StackCore(ProtoSwRegistry registry, Function<String, SysctlTree.Store> stores) {
        this.registry = registry;
        this.stores = stores;
    }

    public ProtoSwRegistry registry() {
        return registry;
    }

    public void addListener(VnetListener l) {
        listeners.add(l);
        vnets.values().forEach(l::added);
    }

    public void removeListener(VnetListener l) {
        listeners.remove(l);
    }

    /**
     * Creates a stack instance with lo0 up, and lets every protocol and module join it.
     *
     * @throws SocketException EEXIST for a taken name, EINVAL for a bad one
     */
    public Vnet createVnet(String name) throws SocketException {
        if (name == null || !name.matches(NAME_PATTERN)) {
            throw new SocketException(Errno.EINVAL, "bad vnet name '" + name + "' (accepted: a letter, then up to 31 letters, digits, '_', '.', '-')");
        }
        Vnet v;
        synchronized (vnetLock) {
            if (vnets.containsKey(name)) {
                throw new SocketException(Errno.EEXIST, "vnet " + name + " already exists");
            }
            if (dying.contains(name)) {
                throw new SocketException(Errno.EEXIST, "vnet " + name + " is still being destroyed (try again)");
            }
            v = new Vnet(name, registry, stores.apply(name));
            vnets.put(name, v);
        }
        registry.addVnet(v);
        for (ModuleEntry m : modules) {
            m.join(v);
        }
        listeners.forEach(l -> l.added(v));
        LOG.info("vnet {} created", name);
        return v;
    }

    /** Destroys an instance: its sockets are aborted, its interfaces destroyed. */
    public void destroyVnet(String name) throws SocketException {
        Vnet v;
        synchronized (vnetLock) {
            v = vnets.remove(name);
            if (v != null) {
                dying.add(name);
            }
        }
        if (v == null) {
            throw new SocketException(Errno.ENOENT, "no vnet named " + name);
        }
        try {
            listeners.forEach(l -> l.removed(v));
            for (ModuleEntry m : modules) {
                m.leave(v);
            }
            v.destroy(registry);
        } finally {
            // a new instance of this name may join the protocol switch now that this one left
            synchronized (vnetLock) {
                dying.remove(name);
            }
        }
    }

    public Vnet vnet(String name) {
        return vnets.get(name);
    }

    /** The instance of that name; ENOENT naming the known ones otherwise. */
    public Vnet requireVnet(String name) throws SocketException {
        Vnet v = vnets.get(name);
        if (v == null) {
            throw new SocketException(Errno.ENOENT, "no vnet named '" + name + "' (known: " + String.join(", ", vnetNames()) + ")");
        }
        return v;
    }

    public List<String> vnetNames() {
        List<String> names = new ArrayList<>(vnets.keySet());
        names.sort(Comparator.comparing((String n) -> !n.equals(NetStack.DEFAULT_VNET)).thenComparing(n -> n));
        return names;
    }

    public List<Vnet> vnets() {
        return vnetNames().stream().map(vnets::get).filter(v -> v != null).toList();
    }

    /** The next free epair unit number (epair0, epair1...), unique across instances. */
    public int nextEpairUnit() {
        return epairUnits.getAndIncrement();
    }

    /** A module joins every instance, present and future. */
    public void addModule(NetModule module, String owner) {
        ModuleEntry e = new ModuleEntry(module, owner);
        modules.add(e);
        vnets.values().forEach(e::join);
    }

    public void removeModule(NetModule module) {
        for (ModuleEntry e : modules) {
            if (e.module == module) {
                modules.remove(e);
                vnets.values().forEach(e::leave);
            }
        }
    }

    /** Destroys every instance (the core stops). */
    public void shutdown() {
        for (String n : vnetNames()) {
            try {
                destroyVnet(n);
            } catch (SocketException e) {
                LOG.debug("vnet {} already gone", n);
            }
        }
    }

    /** Visits every tunable of every instance. */
    public void forEachTunable(BiConsumer<Vnet, SysctlTree> action) {
        vnets().forEach(v -> action.accept(v, v.sysctl()));
    }

    private static final class ModuleEntry {
        final NetModule module;
        final String owner;
        final Map<String, Joined> joined = new ConcurrentHashMap<>();

        record Joined(ScopedContext ctx, AutoCloseable handle) {
        }

        ModuleEntry(NetModule module, String owner) {
            this.module = module;
            this.owner = owner;
        }

        void join(Vnet v) {
            ScopedContext ctx = v.newContext(owner, org.protosw.internal.priv.Cred.ofOwner(owner));
            try {
                AutoCloseable h = module.attach(ctx);
                joined.put(v.name(), new Joined(ctx, h));
            } catch (Exception | LinkageError e) {
                ctx.close();
                LOG.error("module {} failed to join vnet {}: {}", owner, v.name(), e.toString(), e);
            }
        }

        void leave(Vnet v) {
            Joined j = joined.remove(v.name());
            if (j == null) {
                return;
            }
            try {
                if (j.handle() != null) {
                    j.handle().close();
                }
            } catch (Exception e) {
                LOG.warn("module {} failed to leave vnet {} cleanly", owner, v.name(), e);
            } finally {
                j.ctx().close();
            }
        }
    }
}
