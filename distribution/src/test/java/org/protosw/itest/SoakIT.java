package org.protosw.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.framework.wiring.FrameworkWiring;
import org.protosw.socket.NetStack;

/**
 * Soak (issue 13): every protocol bundle unloaded and loaded again, over and over, while
 * traffic flows through each of them: UDP, TCP, divert and the IB demo. A round takes each
 * bundle in turn through stop, update (a new revision, so a new class loader), refresh and
 * start, then waits until every flow has carried data again: the flows are supervised
 * clients ({@link SoakFlows}) that reopen their sockets when their protocol returns.
 *
 * <p>At the start and every {@code soak.every} rounds, with the flows paused on open sockets,
 * it prints what the runtime holds: threads, timers armed (net:vnet list -v), open sockets,
 * class loaders of protosw bundles still reachable after GC (every revision's loader is
 * watched by a weak reference) and heap after full GC. Nothing may grow: the last sample is
 * compared with the first, and no old revision's loader may survive any sample.
 *
 * <p>The suite runs {@code soak.cycles}=10 rounds; the long run (README, "Soak"):
 * {@code mvn -B -o -pl distribution -am verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false
 * -Dit.test=SoakIT -Dsoak.cycles=1000 -Dsoak.every=100}.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class SoakIT extends ProtoswTestSupport {
    /** The protocol bundles cycled, in the order of a round. */
    static final List<String> CYCLED = List.of("org.protosw.udp", "org.protosw.tcp", "org.protosw.divert", "org.protosw.ib.demo");

    /** How long the flows may take to carry data again after a round (a reconnect after backoff). */
    private static final Duration RECOVERY = Duration.ofSeconds(30);

    /** Slack for what the runtime starts on its own (JDK service threads), and connections in flight. */
    private static final int THREAD_SLACK = 2;
    private static final int TIMER_SLACK = 4;
    private static final long HEAP_SLACK = 32L << 20;

    /** One measurement, taken with the flows paused. */
    record Sample(int round, int threads, int timers, int sockets, int loadersAlive, int loadersCurrent, long heap, java.util.List<String> threadNames) {
        String line() {
            return String.format("[soak] round %6d  threads %4d  timers %4d  sockets %4d  loaders %3d (current %3d)  heap %7.1f MiB",
                    round, threads, timers, sockets, loadersAlive, loadersCurrent, heap / 1048576.0);
        }
    }

    /** A revision's class loader, watched until it is collected. */
    private record Watched(String bundle, int revision, WeakReference<ClassLoader> loader) {
    }

    private final List<Watched> loadersSeen = new ArrayList<>();
    private final Map<String, Integer> revisions = new LinkedHashMap<>();

    @Test
    public void unloadingAndReloadingEveryProtocolUnderTrafficLeavesNothingGrowing() throws Exception {
        int rounds = Integer.getInteger("soak.cycles", 10);
        int every = Math.max(1, Integer.getInteger("soak.every", Math.max(1, rounds / 2)));
        grantProbe("divert");
        GogoShell sh = new GogoShell(service(CommandProcessor.class, TIMEOUT));
        NetStack here = stack(NetStack.DEFAULT_VNET);
        waitFor("UDP, TCP, divert and the IB demo to serve", TIMEOUT, () -> SoakFlows.allProtocolsServe(here));
        linkVnetB(sh);
        NetStack there = stack("b");
        sh.run("divert:rule add 100 " + SoakFlows.DIVERT_RULE);

        try (SoakFlows flows = new SoakFlows(here, there)) {
            flows.start();
            flows.awaitProgress("the flows to carry data before the first round", RECOVERY);
            startVirtualThreadScheduler();
            List<Sample> samples = new ArrayList<>();
            samples.add(sample(0, flows, sh));
            System.out.println(samples.get(0).line());
            long started = System.nanoTime();
            for (int round = 1; round <= rounds; round++) {
                for (String name : CYCLED) {
                    unloadAndReload(requireBundle(name));
                }
                flows.awaitProgress("the flows to carry data again after round " + round, RECOVERY);
                flows.assertNoFailure();
                if (round % every == 0 || round == rounds) {
                    Sample s = sample(round, flows, sh);
                    samples.add(s);
                    System.out.println(s.line() + String.format("  (%.1f s, %s)",
                            (System.nanoTime() - started) / 1e9, flows.progressLine()));
                    assertTrue("a negative count of timers armed at round " + round + ": " + s.line(), s.timers() >= 0);
                    assertEquals("class loaders of old revisions still reachable at round " + round + ": " + s.line()
                            + "; alive: " + aliveLoaders(), s.loadersCurrent(), s.loadersAlive());
                }
            }
            flows.assertNoFailure();
            System.out.println("[soak] " + rounds + " rounds of " + CYCLED + "; flows: " + flows.progressLine()
                    + "; errors met and recovered from: " + flows.errorsLine());

            Sample first = samples.get(0);
            Sample last = samples.get(samples.size() - 1);
            String table = table(samples);
            java.util.List<String> newThreads = new java.util.ArrayList<>(last.threadNames());
            first.threadNames().forEach(newThreads::remove);
            assertTrue("threads grew:\n" + table + "threads at the end that were not there at the start: " + newThreads,
                    last.threads() <= first.threads() + THREAD_SLACK);
            assertEquals("open sockets changed (the flows hold the same ones):\n" + table, first.sockets(), last.sockets());
            assertTrue("timers grew:\n" + table, last.timers() <= first.timers() + TIMER_SLACK);
            assertTrue("heap after full GC grew by more than 32 MiB:\n" + table, last.heap() <= first.heap() + HEAP_SLACK);
        } finally {
            sh.run("divert:rule delete 100");
        }
    }

    /** Stop (an unload: sockets aborted), a new revision of the same jar, refresh, start. */
    private void unloadAndReload(Bundle b) throws Exception {
        b.stop();
        b.update();
        refresh(b);
        b.start();
        watchLoader(b);
    }

    private void refresh(Bundle b) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        bundleContext.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(List.of(b), e -> {
            if (e.getType() == FrameworkEvent.PACKAGES_REFRESHED) {
                done.countDown();
            }
        });
        assertTrue("refresh of " + b.getSymbolicName() + " did not finish", done.await(30, TimeUnit.SECONDS));
    }

    private void watchLoader(Bundle b) {
        BundleWiring w = b.adapt(BundleWiring.class);
        ClassLoader l = w == null ? null : w.getClassLoader();
        if (l != null && loadersSeen.stream().noneMatch(x -> x.loader().get() == l)) {
            int rev = revisions.merge(b.getSymbolicName(), 1, Integer::sum);
            loadersSeen.add(new Watched(b.getSymbolicName(), rev, new WeakReference<>(l)));
        }
    }

    /**
     * The core runs a stuck protocol's destroy and a round's aborts on virtual threads: the
     * first of them starts the JDK's scheduler (a carrier per core and the unblocker for
     * timed waits), a fixed set the JDK keeps from then on. Started before the first sample,
     * so the count compares like with like (it was the whole of the growth a round brought).
     */
    private static void startVirtualThreadScheduler() throws InterruptedException {
        List<Thread> vts = new ArrayList<>();
        for (int i = 0; i < 2 * Runtime.getRuntime().availableProcessors(); i++) {
            vts.add(Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        for (Thread t : vts) {
            t.join();
        }
    }

    private Sample sample(int round, SoakFlows flows, GogoShell sh) throws Exception {
        // bundles refreshed as dependents (siftr with TCP) have new loaders too
        int current = 0;
        for (Bundle b : bundleContext.getBundles()) {
            if (b.getSymbolicName() != null && b.getSymbolicName().startsWith("org.protosw.")
                    && b.getState() != Bundle.UNINSTALLED && b.adapt(BundleWiring.class) != null) {
                watchLoader(b);
                current++;
            }
        }
        flows.pause();
        try {
            int alive = loadersAliveAfterGc(current);
            long heap = heapAfterFullGc();
            int[] vnets = vnetTotals(sh.run("net:vnet list -v"));
            int threads = ManagementFactory.getThreadMXBean().getThreadCount();
            java.util.List<String> names = Thread.getAllStackTraces().keySet().stream()
                    .map(t -> t.getName() + (t.isDaemon() ? " (daemon)" : "")).sorted().toList();
            return new Sample(round, threads, vnets[1], vnets[0], alive, current, heap, names);
        } finally {
            flows.resume();
        }
    }

    /** Bounded GC rounds until only the current loaders are reachable (or the bound passes). */
    private int loadersAliveAfterGc(int current) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        List<byte[]> pressure = new ArrayList<>();
        int alive;
        do {
            System.gc();
            pressure.add(new byte[1 << 20]);
            if (pressure.size() > 64) {
                pressure.clear();
            }
            Thread.sleep(20);
            loadersSeen.removeIf(w -> w.loader().get() == null);
            alive = loadersSeen.size();
        } while (alive > current && System.nanoTime() < deadline);
        return alive;
    }

    private String aliveLoaders() {
        StringBuilder b = new StringBuilder();
        for (Watched w : loadersSeen) {
            if (w.loader().get() != null) {
                b.append(b.isEmpty() ? "" : ", ").append(w.bundle()).append(" #").append(w.revision());
            }
        }
        return b.toString();
    }

    private static long heapAfterFullGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Sums of the SOCKETS and TIMERS columns of {@code net:vnet list -v}. */
    static int[] vnetTotals(String list) {
        String[] lines = list.strip().split("\n");
        List<String> head = List.of(lines[0].trim().split("\\s+"));
        int sockets = head.indexOf("SOCKETS");
        int timers = head.indexOf("TIMERS");
        if (sockets < 0 || timers < 0) {
            throw new AssertionError("net:vnet list -v has no SOCKETS and TIMERS columns:\n" + list);
        }
        int[] sum = new int[2];
        for (int i = 1; i < lines.length; i++) {
            String[] w = lines[i].trim().split("\\s+");
            sum[0] += Integer.parseInt(w[sockets]);
            sum[1] += Integer.parseInt(w[timers]);
        }
        return sum;
    }

    private static String table(List<Sample> samples) {
        StringBuilder b = new StringBuilder();
        samples.forEach(s -> b.append(s.line()).append('\n'));
        return b.toString();
    }

    private NetStack stack(String vnet) {
        return service(NetStack.class, "(" + NetStack.VNET_PROPERTY + "=" + vnet + ")", TIMEOUT);
    }
}
