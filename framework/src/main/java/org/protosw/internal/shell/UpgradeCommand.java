package org.protosw.internal.shell;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;

import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.protosw.internal.sw.ProtoEntry;
import org.protosw.internal.sw.UpgradeRecord;

/**
 * {@code net:upgrade}: replaces the bundle serving a protocol with the build at a location,
 * carrying its sockets over (a live upgrade) when the protocol offers state transfer.
 */
@Component(service = UpgradeCommand.class, property = {"osgi.command.scope=net", "osgi.command.function=upgrade"})
public final class UpgradeCommand extends NetCommand {
    static final String USAGE = "upgrade PROTOCOL LOCATION";
    private BundleContext context;

    @Activate
    void activate(BundleContext ctx) {
        this.context = ctx;
    }

    @Descriptor("replace the bundle serving PROTOCOL with the jar at LOCATION (a file or a URL) under live\n"
            + "  connections: its sockets are frozen, their state exported, imported by the new revision and\n"
            + "  re-linked, held packets delivered; applications see a pause. A jar of the same bundle updates\n"
            + "  it, another bundle is installed in its place. A protocol without state transfer, or a new\n"
            + "  revision that refuses the state or does not come within net.protosw.upgrade_wait_ms, ends\n"
            + "  as an unload (sockets aborted, the reason in net:diag)")
    public void upgrade(@Descriptor("PROTOCOL LOCATION") String... argv) {
        Args args = new Args("upgrade", USAGE, argv);
        String name = args.next("protocol name");
        String location = args.next("location of the new jar");
        args.end();
        ProtoEntry entry = core().registry().entry(name);
        if (entry == null) {
            throw new CommandException("upgrade: no protocol named '" + name + "' is registered (see net:protocols)");
        }
        Bundle old = stack.bundleOf(name);
        if (old == null) {
            throw new CommandException("upgrade: protocol " + name + " is served by " + entry.owner() + ", not by a bundle it can replace");
        }
        String bsn = symbolicName(location);
        UpgradeRecord before = entry.lastUpgrade();
        int failures = core().registry().upgradeFailures().size();
        stack.announceUpgrade(old);
        try {
            if (bsn.equals(old.getSymbolicName())) {
                try (InputStream in = open(location)) {
                    old.update(in);
                }
            } else {
                Bundle next;
                try (InputStream in = open(location)) {
                    next = context.installBundle(location, in);
                }
                old.uninstall();
                next.start();
            }
        } catch (IOException | BundleException | IllegalStateException e) {
            throw new CommandException("upgrade: " + name + " from " + location + ": " + e.getMessage());
        } finally {
            stack.upgradeDone(old);
        }
        long deadline = System.nanoTime() + 1_000_000L * (core().vnet(org.protosw.socket.NetStack.DEFAULT_VNET).upgradeWaitMillis() + 5_000);
        while (core().registry().upgrading(name) && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(10_000_000L);
        }
        ProtoEntry now = core().registry().entry(name);
        UpgradeRecord rec = now == null ? null : now.lastUpgrade();
        if (rec != null && rec != before) {
            System.out.println(rec);
            return;
        }
        var fails = core().registry().upgradeFailures();
        if (fails.size() > failures || (!fails.isEmpty() && fails.get(fails.size() - 1).when().isAfter(java.time.Instant.now().minusSeconds(60)))) {
            throw new CommandException("upgrade: " + fails.get(fails.size() - 1));
        }
        throw new CommandException("upgrade: " + name + " was replaced without a live upgrade (no state transfer): its sockets were aborted");
    }

    private static InputStream open(String location) throws IOException {
        Path p = Path.of(location);
        if (Files.isRegularFile(p)) {
            return Files.newInputStream(p);
        }
        try {
            return URI.create(location).toURL().openStream();
        } catch (IllegalArgumentException e) {
            throw new IOException("no file or URL " + location);
        }
    }

    private static String symbolicName(String location) {
        try (InputStream in = open(location); JarInputStream jar = new JarInputStream(in)) {
            Manifest m = jar.getManifest();
            String bsn = m == null ? null : m.getMainAttributes().getValue("Bundle-SymbolicName");
            if (bsn == null) {
                throw new CommandException("upgrade: " + location + " is not a bundle (no Bundle-SymbolicName in its manifest)");
            }
            int semi = bsn.indexOf(';');
            return (semi < 0 ? bsn : bsn.substring(0, semi)).trim();
        } catch (IOException e) {
            throw new CommandException("upgrade: cannot read " + location + ": " + e.getMessage());
        }
    }
}
