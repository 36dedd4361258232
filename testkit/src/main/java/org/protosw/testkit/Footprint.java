package org.protosw.testkit;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * What a bundle has in the stack, taken while it runs, and the check that once it is
 * uninstalled (and the framework refreshed) none of it is left: no service it registered, no
 * switch entry or domain of it in {@code net:protocols}, no socket or connection of its
 * protocols (nor an in-stack socket they opened) in any vnet's {@code netstat -an}, no thread
 * of its class loader, and the class loader itself collected: a weak reference cleared within
 * a bounded number of GC rounds. A loader that stays reachable means something of the bundle
 * (a pcb, a hook, a callout, a thread, a {@code ThreadLocal} value left on a core thread) is
 * still held by the core or another bundle. The test JVM must run with
 * {@value #SOFT_REFS_OPTION}: the JDK keeps some method handles of a bundle's classes in soft
 * caches, which a GC clears only under memory pressure otherwise. With the system property
 * {@value #HEAP_DUMP_DIR} a failed check writes a heap dump there.
 *
 * <p>The test itself must not hold the bundle's classes: the test probe wires by dynamic
 * import, so a test that names one of the bundle's types (an exported constant, say) keeps
 * that bundle's revision, and its loader, for as long as the probe lives. Use the numbers and
 * {@code NetStack.parseAddress} instead.
 */
public final class Footprint {
    /** GC rounds before the loader is declared leaked, and the time bound for all of them. */
    static final int GC_ROUNDS = 200;
    static final Duration GC_BOUND = Duration.ofSeconds(30);

    /** System property: where a failed {@link #assertGone()} writes a heap dump. */
    public static final String HEAP_DUMP_DIR = "protosw.testkit.heapDumpDir";

    private final Lab lab;
    private final long id;
    private final String symbolicName;
    private final Set<String> protocols;
    private final Set<String> domains;
    private final WeakReference<ClassLoader> loader;

    private Footprint(Lab lab, Bundle bundle, Set<String> protocols, Set<String> domains) {
        this.lab = lab;
        this.id = bundle.getBundleId();
        this.symbolicName = bundle.getSymbolicName();
        this.protocols = protocols;
        this.domains = domains;
        BundleWiring wiring = bundle.adapt(BundleWiring.class);
        this.loader = new WeakReference<>(wiring == null ? null : wiring.getClassLoader());
    }

    /** The footprint of an active bundle: its protocols and domains as {@code net:protocols} lists them, its class loader. */
    public static Footprint of(Lab lab, Bundle bundle) throws Exception {
        if (bundle.getState() != Bundle.ACTIVE) {
            throw new AssertionError(bundle.getSymbolicName() + " is not active");
        }
        Shell sh = lab.shell();
        Set<String> protocols = new LinkedHashSet<>();
        for (String[] row : rows(sh.run("net:protocols list"))) {
            if (row.length > 5 && row[4].equals(bundle.getSymbolicName()) && row[5].equals(Long.toString(bundle.getBundleId()))) {
                protocols.add(row[3]);
            }
        }
        Set<String> domains = new LinkedHashSet<>();
        String owner = bundle.getSymbolicName() + " [" + bundle.getBundleId() + "]";
        for (String line : sh.run("net:protocols domains").lines().toList()) {
            if (line.contains(owner)) {
                domains.add(line.strip().split("\\s+")[1]);
            }
        }
        Footprint f = new Footprint(lab, bundle, protocols, domains);
        if (f.loader.get() == null) {
            throw new AssertionError(bundle.getSymbolicName() + " has no class loader");
        }
        return f;
    }

    /** The switch entries (protocol names) the bundle had when the footprint was taken. */
    public Set<String> protocols() {
        return protocols;
    }

    /** The domains (names) the bundle had registered. */
    public Set<String> domains() {
        return domains;
    }

    /** Uninstalls the bundle, refreshes the framework, and {@link #assertGone()}. */
    public void uninstallAndAssertGone(Bundle bundle) throws Exception {
        uninstall(bundle);
        assertGone();
    }

    /**
     * Uninstalls the bundle and refreshes the framework (its revision goes). A test that holds
     * aborted sockets of it closes and drops them before {@link #assertGone()}: an application's
     * socket is its last link to the protocol, as UDP's unload test shows.
     */
    public void uninstall(Bundle bundle) throws Exception {
        if (bundle.getBundleId() != id) {
            throw new IllegalArgumentException("not the bundle of this footprint");
        }
        bundle.uninstall();
        refresh();
    }

    /** Fails the test naming the first thing of the uninstalled bundle still there. */
    public void assertGone() throws Exception {
        String who = symbolicName + " [" + id + "]";
        if (lab.context().getBundle(id) != null) {
            throw new AssertionError(who + " is still installed");
        }
        List<String> services = servicesOfTheBundle();
        if (!services.isEmpty()) {
            throw new AssertionError(who + " left services registered: " + services);
        }
        Shell sh = lab.shell();
        String table = sh.run("net:protocols list");
        for (String[] row : rows(table)) {
            if (row.length > 5 && (protocols.contains(row[3]) || (row[4].equals(symbolicName) && row[5].equals(Long.toString(id))))) {
                throw new AssertionError(who + " left switch entry " + row[3] + " in net:protocols:\n" + table);
            }
        }
        String domainTable = sh.run("net:protocols domains");
        for (String[] row : rows(domainTable)) {
            if (row.length > 1 && domains.contains(row[1])) {
                throw new AssertionError(who + " left domain " + row[1] + " in net:protocols domains:\n" + domainTable);
            }
        }
        for (String vnet : lab.vnets()) {
            String netstat = sh.run("net:netstat -j " + vnet + " -an");
            for (String line : netstat.lines().toList()) {
                String first = line.strip().split("\\s+")[0];
                for (String p : protocols) {
                    if (first.equals(p) || first.equals(p + "4") || first.equals(p + "6") || line.contains("(used by " + p + ")")) {
                        throw new AssertionError(who + " left a socket or connection of " + p + " in vnet " + vnet + ":\n" + netstat);
                    }
                }
                for (String d : domains) {
                    if (line.contains("(used by domain " + d + ")")) {
                        throw new AssertionError(who + " left an in-stack socket of domain " + d + " in vnet " + vnet + ":\n" + netstat);
                    }
                }
            }
        }
        if (!softReferencesGoWithGc()) {
            throw new AssertionError("the class loader check needs the test JVM started with " + SOFT_REFS_OPTION + ": the JDK"
                    + " caches some method handles softly (a record's hashCode bootstrap keeps its class, and so its bundle's"
                    + " loader), and soft references are kept while memory is free; add it to failsafe's argLine");
        }
        List<String> threads = threadsOf(loader.get());
        if (!threads.isEmpty()) {
            throw new AssertionError(who + " left threads running: " + threads);
        }
        int rounds = collect(loader);
        if (loader.get() != null) {
            throw new AssertionError(who + ": its class loader is still reachable after " + rounds + " GC rounds (something of the"
                    + " bundle is still held: a pcb, a hook, a callout, a registration in the core or another bundle)" + heapDump());
        }
    }

    /** The JVM option under which a GC clears soft references not used since the last one. */
    public static final String SOFT_REFS_OPTION = "-XX:SoftRefLRUPolicyMSPerMB=0";

    private static boolean softReferencesGoWithGc() {
        return java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().contains(SOFT_REFS_OPTION);
    }

    /** Runs GC rounds, with some allocation pressure, until {@code ref} is cleared or the bound is reached; the rounds run. */
    static int collect(WeakReference<?> ref) throws InterruptedException {
        long deadline = System.nanoTime() + GC_BOUND.toNanos();
        List<byte[]> pressure = new ArrayList<>();
        int rounds = 0;
        while (ref.get() != null && rounds < GC_ROUNDS && System.nanoTime() - deadline < 0) {
            System.gc();
            rounds++;
            pressure.add(new byte[1 << 20]);
            if (pressure.size() > 32) {
                pressure.clear();
            }
            Thread.sleep(20);
        }
        return rounds;
    }

    /**
     * With the system property {@value #HEAP_DUMP_DIR} set, a heap dump of the live objects
     * there (open it with a heap analyser and look for the paths from GC roots to the loader,
     * an instance of Felix's {@code BundleWiringImpl$BundleClassLoader}); the text for the
     * failure message.
     */
    private String heapDump() {
        String dir = System.getProperty(HEAP_DUMP_DIR);
        if (dir == null || dir.isBlank()) {
            return " (set -D" + HEAP_DUMP_DIR + "=DIR for a heap dump)";
        }
        try {
            java.nio.file.Path file = java.nio.file.Path.of(dir).toAbsolutePath().resolve(symbolicName + "-" + id + "-leak.hprof");
            java.nio.file.Files.createDirectories(file.getParent());
            java.nio.file.Files.deleteIfExists(file);
            javax.management.MBeanServer server = java.lang.management.ManagementFactory.getPlatformMBeanServer();
            server.invoke(new javax.management.ObjectName("com.sun.management:type=HotSpotDiagnostic"), "dumpHeap",
                    new Object[] {file.toString(), Boolean.TRUE}, new String[] {String.class.getName(), boolean.class.getName()});
            return "; heap dump: " + file;
        } catch (Exception e) {
            return "; no heap dump: " + e;
        }
    }

    private List<String> servicesOfTheBundle() throws InvalidSyntaxException {
        List<String> found = new ArrayList<>();
        ServiceReference<?>[] refs = lab.context().getAllServiceReferences(null, null);
        for (ServiceReference<?> r : refs == null ? new ServiceReference<?>[0] : refs) {
            Bundle b = r.getBundle();
            if (b != null && b.getBundleId() == id) {
                found.add(String.valueOf(r));
            }
        }
        return found;
    }

    private void refresh() throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        lab.context().getBundle(0).adapt(FrameworkWiring.class).refreshBundles(null, e -> {
            if (e.getType() == FrameworkEvent.PACKAGES_REFRESHED) {
                done.countDown();
            }
        });
        if (!done.await(60, TimeUnit.SECONDS)) {
            throw new AssertionError("the framework refresh after uninstalling " + symbolicName + " did not finish in 60 s");
        }
    }

    private static List<String> threadsOf(ClassLoader l) {
        List<String> found = new ArrayList<>();
        if (l == null) {
            return found;
        }
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getContextClassLoader() == l || t.getClass().getClassLoader() == l) {
                found.add(t.getName());
            }
        }
        return found;
    }

    /** The rows of a shell table (the header line skipped), split at runs of blanks. */
    private static List<String[]> rows(String table) {
        List<String[]> rows = new ArrayList<>();
        List<String> lines = table.lines().filter(l -> !l.isBlank()).toList();
        for (int i = 1; i < lines.size(); i++) {
            rows.add(lines.get(i).strip().split("\\s+"));
        }
        return rows;
    }
}
