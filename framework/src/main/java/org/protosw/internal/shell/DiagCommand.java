package org.protosw.internal.shell;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.StringJoiner;

import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRequirement;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.protosw.internal.sw.ProtoState;
import org.protosw.internal.sw.ProtoSwInfo;
import org.protosw.internal.sw.Refusal;
import org.protosw.internal.sw.WaitingEntry;

/**
 * {@code net:diag}: one line per problem: bundles that cannot resolve (and the requirement
 * nobody provides; for a package, the version range it needs and the versions offered, so a
 * module built for an SPI major the core does not have says so), protocols refused at
 * registration, protocols still draining, protocols whose code threw into the stack, and the
 * sockets and threads still inside a protocol its unload stopped waiting for.
 */
@Component(service = DiagCommand.class, property = {"osgi.command.scope=net", "osgi.command.function=diag"})
public final class DiagCommand extends NetCommand {
    private BundleContext context;

    @Activate
    void activate(BundleContext ctx) {
        this.context = ctx;
    }

    @Descriptor("list problems, one line each: unresolved bundles and the missing requirement, protocols refused\n"
            + "  at registration (duplicate or incomplete switch entries), domains refused (family taken),\n"
            + "  protocols waiting for their domain, protocols draining with sockets left, live upgrades that\n"
            + "  failed (why, and how many sockets were aborted) or wait for their new revision; protocols\n"
            + "  whose code threw into the stack (how often, where); sockets and threads still inside a\n"
            + "  protocol after its unload stopped waiting (net.protosw.unload_wait_ms);\n"
            + "  prints 'no problems found' otherwise")
    public void diag(@Descriptor("no arguments") String... argv) {
        new Args("diag", "diag (no arguments)", argv).end();
        List<String> problems = new ArrayList<>();
        unresolvedBundles(problems);
        for (Refusal r : core().registry().refusals()) {
            problems.add("refused (" + r.errno().name() + "): " + r.what() + " from " + r.owner() + ": " + r.message());
        }
        for (Refusal r : core().registry().domainRefusals()) {
            problems.add("refused (" + r.errno().name() + "): " + r.what() + " from " + r.owner() + ": " + r.message());
        }
        for (org.protosw.internal.sw.UpgradeRecord u : core().registry().upgradeFailures()) {
            problems.add("upgrade failed: " + u);
        }
        for (WaitingEntry w : core().registry().waiting()) {
            problems.add("waiting: " + w.descriptor().name() + " (" + w.descriptor().triple() + ") from " + w.owner()
                    + " waits for domain af" + w.descriptor().domain() + " (no domain of that family is registered)");
        }
        for (ProtoSwInfo i : core().registry().list()) {
            if (i.state() == ProtoState.DRAINING) {
                problems.add("draining: " + i.name() + " (" + i.owner() + ") " + (i.drained() ? "has no sockets left: ready to unload"
                        : "has " + i.sockets() + " socket(s) left (" + perVnet(i) + ")"));
            } else if (i.state() == ProtoState.UPGRADING) {
                problems.add("upgrading: " + i.name() + " (" + i.owner() + ") is frozen with " + i.sockets()
                        + " socket(s), waiting for its new revision");
            } else if (i.state() == ProtoState.UNLOADING) {
                problems.add("unloading: " + i.name() + " (" + i.owner() + ") waits for " + i.callsInFlight() + " call(s) in flight");
            }
            if (i.faults() > 0) {
                problems.add("faults: " + i.name() + " (" + i.owner() + ") threw " + i.faults() + " exception(s) into the stack ("
                        + i.faultsByKind() + "): its callers got EIO, its packets were dropped; see the log");
            }
        }
        for (org.protosw.internal.sw.Lingering l : core().registry().lingering()) {
            for (String line : l.lines()) {
                problems.add("stuck: " + line);
            }
        }
        if (problems.isEmpty()) {
            System.out.println("no problems found");
        } else {
            problems.forEach(System.out::println);
        }
    }

    /** "vnet default: 2, b: 1", in the order vnet list shows them, instances without sockets left out. */
    private String perVnet(ProtoSwInfo i) {
        StringJoiner j = new StringJoiner(", ", "vnet ", "");
        j.setEmptyValue("in no vnet now");
        for (String v : core().vnetNames()) {
            int n = i.socketsPerVnet().getOrDefault(v, 0);
            if (n > 0) {
                j.add(v + ": " + n);
            }
        }
        return j.toString();
    }

    private void unresolvedBundles(List<String> problems) {
        if (context == null) {
            return;
        }
        FrameworkWiring fw = context.getBundle(0).adapt(FrameworkWiring.class);
        for (Bundle b : context.getBundles()) {
            if (b.getState() != Bundle.INSTALLED) {
                continue;
            }
            BundleRevision rev = b.adapt(BundleRevision.class);
            String name = b.getSymbolicName() + " [" + b.getBundleId() + "] " + b.getVersion();
            List<String> missing = new ArrayList<>();
            if (rev != null) {
                for (BundleRequirement req : rev.getDeclaredRequirements(null)) {
                    if ("optional".equals(req.getDirectives().get("resolution"))) {
                        continue;
                    }
                    if (fw.findProviders(req).isEmpty()) {
                        missing.add(describe(req));
                    }
                }
            }
            problems.add("unresolved: " + name + (missing.isEmpty() ? " (its requirements are offered but conflict; try felix:resolve)" : " " + String.join("; ", missing)));
        }
    }

    /**
     * A requirement nobody provides. For a package: the version range it needs and what is
     * offered instead ("needs package org.protosw.spi [2.0.0,3.0.0), the core offers 1.2.0"),
     * the answer to "which major does this module need and which does the core have".
     */
    private String describe(BundleRequirement req) {
        String filter = req.getDirectives().getOrDefault("filter", "");
        Optional<PackageNeed> need = PackageNamespace.PACKAGE_NAMESPACE.equals(req.getNamespace()) ? PackageNeed.of(filter) : Optional.empty();
        if (need.isEmpty()) {
            return "misses " + req.getNamespace() + " " + filter;
        }
        List<String> offers = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            BundleRevision rev = b.adapt(BundleRevision.class);
            if (rev == null || b.getState() == Bundle.UNINSTALLED) {
                continue;
            }
            for (BundleCapability cap : rev.getDeclaredCapabilities(PackageNamespace.PACKAGE_NAMESPACE)) {
                if (need.get().pkg().equals(cap.getAttributes().get(PackageNamespace.PACKAGE_NAMESPACE))) {
                    Object v = cap.getAttributes().get(PackageNamespace.CAPABILITY_VERSION_ATTRIBUTE);
                    String who = b.getBundleId() == context.getBundle().getBundleId()
                            ? "the core (" + b.getSymbolicName() + " " + b.getVersion() + ")"
                            : b.getSymbolicName() + " [" + b.getBundleId() + "] " + b.getVersion();
                    offers.add(who + " offers " + (v == null ? "0.0.0" : v));
                }
            }
        }
        return "needs package " + need.get().pkg() + " " + need.get().range() + ", "
                + (offers.isEmpty() ? "which no bundle exports" : String.join(", ", offers));
    }
}
