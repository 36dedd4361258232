package org.protosw.internal.kern;

import org.osgi.framework.ServiceFactory;
import org.protosw.internal.priv.Cred;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.protosw.internal.sw.ProtoSwRegistry;
import org.protosw.socket.NetStack;
import org.protosw.spi.Domain;
import org.protosw.spi.NetModule;
import org.protosw.spi.ProtoSw;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OSGi face of the core: a whiteboard for {@link ProtoSw} and {@link NetModule}
 * services, the default stack instance, and one {@link NetStack} service per instance.
 * The shell commands reach the core through this component.
 */
@Component(service = StackComponent.class, immediate = true)
public final class StackComponent {
    private static final Logger LOG = LoggerFactory.getLogger(StackComponent.class);

    private final SysctlStore sysctlStore = new SysctlStore();
    private final ProtoSwRegistry registry = new ProtoSwRegistry();
    private final StackCore core = new StackCore(registry, sysctlStore::forVnet);
    private final Map<String, ServiceRegistration<NetStack>> published = new ConcurrentHashMap<>();
    private BundleContext context;
    private final UpdateDetector updates = new UpdateDetector();
    /** The bundle that registered each switch service, asked at unbind whether it is being updated. */
    private final Map<ProtoSw, Bundle> swBundles = java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());

    public StackCore core() {
        return core;
    }

    /** Where the core's bundle lives, for the switch entries the core itself provides. */
    public Bundle bundle() {
        return context.getBundle();
    }

    @Activate
    void activate(BundleContext ctx) throws Exception {
        this.context = ctx;
        ctx.addBundleListener(updates);
        registry.register(new RawIpSwitch(), RawIpSwitch.properties(), owner(ctx.getBundle()));
        core.addListener(new StackCore.VnetListener() {
            @Override
            public void added(Vnet vnet) {
                Dictionary<String, Object> props = new Hashtable<>();
                props.put(NetStack.VNET_PROPERTY, vnet.name());
                // one view a bundle: what it opens is checked against that bundle's rights
                ServiceFactory<NetStack> perBundle = new ServiceFactory<>() {
                    @Override
                    public NetStack getService(Bundle bundle, ServiceRegistration<NetStack> registration) {
                        return new BundleNetStack(vnet, Cred.ofBundle(bundle.getSymbolicName() == null
                                ? "bundle " + bundle.getBundleId() : bundle.getSymbolicName()));
                    }

                    @Override
                    public void ungetService(Bundle bundle, ServiceRegistration<NetStack> registration, NetStack service) {
                        // nothing held
                    }
                };
                published.put(vnet.name(), ctx.registerService(NetStack.class, perBundle, props));
            }

            @Override
            public void removed(Vnet vnet) {
                ServiceRegistration<NetStack> r = published.remove(vnet.name());
                if (r != null) {
                    try {
                        r.unregister();
                    } catch (IllegalStateException e) {
                        // already gone with the bundle
                    }
                }
            }
        });
        core.createVnet(NetStack.DEFAULT_VNET);
        LOG.info("protosw core started: vnet {} up with lo0 127.0.0.1/8", NetStack.DEFAULT_VNET);
    }

    @Deactivate
    void deactivate() {
        try {
            context.removeBundleListener(updates);
        } catch (IllegalStateException e) {
            // the framework is stopping
        }
        core.shutdown();
        LOG.info("protosw core stopped");
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addProtoSw(ProtoSw sw, ServiceReference<ProtoSw> ref) {
        Map<String, Object> props = new java.util.HashMap<>();
        for (String key : ref.getPropertyKeys()) {
            props.put(key, ref.getProperty(key));
        }
        Bundle b = ref.getBundle();
        if (b != null) {
            swBundles.put(sw, b);
        }
        registry.register(sw, props, owner(b));
    }

    /**
     * The service went away: a live upgrade when its bundle is being updated (see
     * {@link UpdateDetector}) and it offers state transfer, else an unload.
     */
    void removeProtoSw(ProtoSw sw) {
        Bundle b = swBundles.remove(sw);
        if (updates.isUpdating(b)) {
            registry.unregisterForUpgrade(sw);
        } else {
            registry.unregister(sw);
        }
    }

    /**
     * {@code net:upgrade}: the bundle's next stop is an update. Undo with {@link #upgradeDone}.
     */
    public void announceUpgrade(Bundle b) {
        updates.announce(b.getBundleId());
    }

    public void upgradeDone(Bundle b) {
        updates.withdraw(b.getBundleId());
    }

    /** The bundle serving the protocol named {@code name}, or null. */
    public Bundle bundleOf(String name) {
        org.protosw.internal.sw.ProtoEntry e = registry.entry(name);
        if (e == null) {
            return null;
        }
        synchronized (swBundles) {
            for (Map.Entry<ProtoSw, Bundle> en : swBundles.entrySet()) {
                if (owner(en.getValue()).equals(e.owner())) {
                    return en.getValue();
                }
            }
        }
        return null;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addDomain(Domain d, ServiceReference<Domain> ref) {
        registry.registerDomain(d, owner(ref.getBundle()));
    }

    void removeDomain(Domain d) {
        registry.unregisterDomain(d);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addNetModule(NetModule module, ServiceReference<NetModule> ref) {
        core.addModule(module, owner(ref.getBundle()));
    }

    void removeNetModule(NetModule module) {
        core.removeModule(module);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void setConfigurationAdmin(ConfigurationAdmin cm) {
        sysctlStore.setConfigurationAdmin(cm);
        core.forEachTunable((v, tree) -> tree.setStore(sysctlStore.forVnet(v.name())));
    }

    void unsetConfigurationAdmin(ConfigurationAdmin cm) {
        sysctlStore.setConfigurationAdmin(null);
    }

    /** "org.protosw.udp [12] 1.0.0": how logs and tables name a bundle. */
    public static String owner(Bundle b) {
        if (b == null) {
            return "(unregistered)";
        }
        return b.getSymbolicName() + " [" + b.getBundleId() + "] " + b.getVersion();
    }
}
