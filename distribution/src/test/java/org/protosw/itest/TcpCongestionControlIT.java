package org.protosw.itest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SHUT_WR;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.Bundle;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.NetStack;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;
import org.protosw.tcp.TcpSockOpts;
import org.protosw.tcp.cc.CongestionControl;

/**
 * Congestion control algorithms changing under running connections, with the real TCP bundle:
 * bulk transfers between two vnets joined by an epair whose data direction goes through a
 * pipe with delay and loss (so the algorithms have windows to grow and losses to answer),
 * while {@code tcp:cc} changes the default or unloads CUBIC, and while CUBIC's DS component
 * goes away behind TCP's back.
 *
 * <p>Each transfer streams seeded random bytes until the test stops it, so every connection
 * is busy whenever the test changes something and stays established until the test has
 * looked at it; the receiver's SHA-256 must equal the sender's.
 *
 * <p>Types of the TCP bundle and of SCR appear only inside method bodies and in the nested
 * classes: failsafe keeps those bundles off the outer class path, where JUnit reads this
 * class's method signatures.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class TcpCongestionControlIT extends ProtoswTestSupport {
    private static final int FLOWS = 8;
    private static final int PORT = 7100;
    private static final String SERVER = "192.0.2.2";
    /** What every transfer carries before the test changes anything, and again after. */
    private static final long PROGRESS = 128 << 10;
    /** Enough for the path's window (20 Mbit/s, 20 ms); autotuning would queue far more. */
    private static final int SEND_BUFFER = 64 << 10;
    private static final Duration TRANSFER_WAIT = Duration.ofSeconds(60);

    private NetStack stack(String vnet) {
        return service(NetStack.class, "(" + NetStack.VNET_PROPERTY + "=" + vnet + ")", TIMEOUT);
    }

    /**
     * Vnet b joined to the default one by an epair (192.0.2.1 here, 192.0.2.2 there). Data
     * (here to b) crosses a 20 Mbit/s pipe with 10 ms delay and 1% loss; ACKs come back
     * through 10 ms of delay.
     */
    private static void linkToBThroughAPipe(GogoShell sh) throws Exception {
        sh.run("net:vnet create b");
        String pair = sh.run("net:ifconfig epair create").trim();
        assertTrue(pair, pair.matches("epair\\d+a"));
        String b = pair.substring(0, pair.length() - 1) + "b";
        sh.run("net:ifconfig " + b + " vnet b");
        sh.run("net:ifconfig " + pair + " inet 192.0.2.1/24 up");
        sh.run("net:ifconfig -j b " + b + " inet " + SERVER + "/24 up");
        sh.run("net:pipe 1 config bw 20Mbit/s delay 10ms plr 0.01 queue 100 seed 7");
        sh.run("net:pipe 1 attach " + pair + " out");
        sh.run("net:pipe -j b 1 config delay 10ms seed 9");
        sh.run("net:pipe -j b 1 attach " + b + " out");
    }

    private static Socket listen(NetStack stack, int port) throws SocketException {
        Socket l = stack.socket(AF_INET, SOCK_STREAM, 0);
        l.bind(InetSockAddr.of(SERVER, port));
        l.listen(64);
        return l;
    }

    // ---- 1. the default changes while connections run ------------------------------------------

    @Test
    public void changingTheDefaultUnderLoadLeavesRunningConnectionsAloneAndAppliesToNewOnes() throws Exception {
        GogoShell sh = new GogoShell(service(CommandProcessor.class, TIMEOUT));
        linkToBThroughAPipe(sh);
        NetStack here = stack(NetStack.DEFAULT_VNET);
        NetStack there = stack("b");
        Map<String, CcRow> base = ccList(sh);
        assertTrue("cubic is not the default at start: " + base, base.get("cubic").isDefault());

        List<Flow> flows = new ArrayList<>();
        Socket listener = listen(there, PORT);
        try {
            for (int i = 0; i < FLOWS; i++) {
                Flow f = Flow.open("old-" + i, here, listener, PORT, i, null);
                flows.add(f);
                assertEquals(f.name(), "cubic", f.clientCc());
            }
            awaitProgress(flows, PROGRESS);

            assertEquals("default: cubic -> newreno", sh.run("tcp:cc set default newreno").strip());

            for (Flow f : flows) {
                assertEquals(f.name() + " (running) was moved by the new default", "cubic", f.clientCc());
                assertEquals(f.name() + ": its accepted end", "cubic", f.serverCc());
            }
            List<Flow> later = new ArrayList<>();
            for (int i = 0; i < FLOWS / 2; i++) {
                Flow f = Flow.open("new-" + i, here, listener, PORT, 100 + i, null);
                flows.add(f);
                later.add(f);
                assertEquals(f.name() + " opened after the change", "newreno", f.clientCc());
                // as FreeBSD's syncache: an accepted connection takes its listener's algorithm
                assertEquals(f.name() + ": its accepted end", "cubic", f.serverCc());
            }
            try (Socket fresh = here.socket(AF_INET, SOCK_STREAM, 0)) {
                assertEquals("newreno", Flow.cc(fresh));
            }

            // every connection is still established: the listing counts them exactly
            Map<String, CcRow> during = ccList(sh);
            assertTrue(during.toString(), during.get("newreno").isDefault());
            assertFalse(during.toString(), during.get("cubic").isDefault());
            int cubicAdded = 1 + 2 * FLOWS + later.size();
            assertEquals("cubic: the listener, " + FLOWS + " old connections at both ends, the new ones' accepted ends; "
                    + during, base.get("cubic").count() + cubicAdded, during.get("cubic").count());
            assertEquals("newreno: the new clients; " + during, base.get("newreno").count() + later.size(),
                    during.get("newreno").count());

            awaitProgress(flows, PROGRESS);
            long retransmitted = 0;
            for (Flow f : flows) {
                retransmitted += f.clientRetransmits();
            }
            assertTrue("the pipe's loss never made a sender retransmit: congestion control had nothing to answer",
                    retransmitted > 0);
            finishAll(flows);
            for (Flow f : flows) {
                assertEquals(f.name() + " after its transfer", f.name().startsWith("old") ? "cubic" : "newreno", f.clientCc());
            }

            assertEquals("default: newreno -> cubic", sh.run("tcp:cc set default cubic").strip());
            assertTrue(ccList(sh).get("cubic").isDefault());
            try (Socket fresh = here.socket(AF_INET, SOCK_STREAM, 0)) {
                assertEquals("cubic", Flow.cc(fresh));
            }
        } finally {
            closeAll(flows, listener);
        }
    }

    // ---- 2. tcp:cc unload cubic ----------------------------------------------------------------

    @Test
    public void unloadingCubicIsRefusedWhileDefaultThenMovesItsRunningConnectionsToNewReno() throws Exception {
        GogoShell sh = new GogoShell(service(CommandProcessor.class, TIMEOUT));
        linkToBThroughAPipe(sh);
        NetStack here = stack(NetStack.DEFAULT_VNET);
        NetStack there = stack("b");
        Map<String, CcRow> base = ccList(sh);
        int baseTotal = base.values().stream().mapToInt(CcRow::count).sum();

        List<Flow> flows = new ArrayList<>();
        Socket listener = listen(there, PORT);
        try {
            for (int i = 0; i < FLOWS; i++) {
                Flow f = Flow.open("flow-" + i, here, listener, PORT, i, null);
                flows.add(f);
                assertEquals(f.name(), "cubic", f.clientCc());
            }
            awaitProgress(flows, PROGRESS);

            String before = sh.run("tcp:cc list");
            String refused = sh.fail("tcp:cc unload cubic");
            assertEquals("cc unload: cubic is the default algorithm of vnet b, default and stays loaded; pick another first "
                    + "(tcp:cc [-j VNET] set default NAME)", refused);
            assertEquals("the refused unload changed the listing", before, sh.run("tcp:cc list"));
            for (Flow f : flows) {
                assertEquals(f.name() + " after the refused unload", "cubic", f.clientCc());
            }
            assertEquals("cc unload: newreno is TCP's fallback algorithm and stays loaded", sh.fail("tcp:cc unload newreno"));

            assertEquals("default: cubic -> newreno", sh.run("tcp:cc set default newreno").strip());
            assertEquals("default of vnet b: cubic -> newreno", sh.run("tcp:cc -j b set default newreno").strip());
            int moved = base.get("cubic").count() + 1 + 2 * FLOWS;
            assertEquals("unloaded cubic: " + moved + " connection(s) moved to newreno (tcp:cc load cubic brings it back)",
                    sh.run("tcp:cc unload cubic").strip());

            for (Flow f : flows) {
                assertEquals(f.name() + ": the client after the unload", "newreno", f.clientCc());
                assertEquals(f.name() + ": the accepted end after the unload", "newreno", f.serverCc());
            }
            Map<String, CcRow> after = ccList(sh);
            CcRow cubic = after.get("cubic");
            assertNotNull("cubic is not listed as unloaded: " + after, cubic);
            assertTrue("cubic is still listed as available: " + after, cubic.unloaded());
            assertTrue(after.toString(), after.get("newreno").isDefault());
            assertEquals("every connection uses newreno: " + after, baseTotal + 1 + 2 * FLOWS, after.get("newreno").count());
            try (Socket fresh = here.socket(AF_INET, SOCK_STREAM, 0)) {
                assertEquals("newreno", Flow.cc(fresh));
                try {
                    Flow.pick(fresh, "cubic");
                    fail("TCP_CONGESTION cubic was accepted after cubic was unloaded");
                } catch (SocketException e) {
                    assertEquals(e.toString(), Errno.ENOENT, e.errno());
                    assertTrue(e.getMessage(), e.getMessage().contains("'cubic'") && e.getMessage().contains("available: newreno"));
                }
                assertEquals("the failed TCP_CONGESTION changed the socket", "newreno", Flow.cc(fresh));
            }

            awaitProgress(flows, PROGRESS);
            finishAll(flows);

            assertEquals("loaded cubic", sh.run("tcp:cc load cubic").strip());
            assertEquals("cc load: cubic is loaded already", sh.fail("tcp:cc load cubic"));
            Map<String, CcRow> reloaded = ccList(sh);
            assertFalse("cubic is still listed as unloaded: " + reloaded, reloaded.get("cubic").unloaded());
            assertTrue("loading cubic changed the default: " + reloaded, reloaded.get("newreno").isDefault());
            Flow picked = Flow.open("picked", here, listener, PORT, 200, "cubic");
            flows.add(picked);
            assertEquals("cubic", picked.clientCc());
            awaitProgress(List.of(picked), PROGRESS);
            finishAll(List.of(picked));
        } finally {
            closeAll(flows, listener);
        }
    }

    // ---- 3. the default's component goes away behind tcp:cc's back -------------------------------

    @Test
    public void whenTheDefaultsServiceGoesAwayConnectionsFallBackToNewRenoAndTheDefaultReturnsWithIt() throws Exception {
        GogoShell sh = new GogoShell(service(CommandProcessor.class, TIMEOUT));
        linkToBThroughAPipe(sh);
        NetStack here = stack(NetStack.DEFAULT_VNET);
        NetStack there = stack("b");
        Bundle tcp = requireBundle("org.protosw.tcp");
        CubicComponent cubic = new CubicComponent(service(ServiceComponentRuntime.class, TIMEOUT), tcp);

        List<Flow> flows = new ArrayList<>();
        Socket listener = listen(there, PORT);
        try {
            for (int i = 0; i < FLOWS / 2; i++) {
                Flow f = Flow.open("flow-" + i, here, listener, PORT, i, null);
                flows.add(f);
                assertEquals(f.name(), "cubic", f.clientCc());
            }
            awaitProgress(flows, PROGRESS);

            long logStart = Files.size(logFile());
            // what SCR does when the bundle providing an algorithm stops; no command is asked
            cubic.disable();

            for (Flow f : flows) {
                assertEquals(f.name() + ": the client after cubic went", "newreno", f.clientCc());
                assertEquals(f.name() + ": the accepted end after cubic went", "newreno", f.serverCc());
            }
            try (Socket fresh = here.socket(AF_INET, SOCK_STREAM, 0)) {
                assertEquals("newreno", Flow.cc(fresh));
            }
            String list = sh.run("tcp:cc list");
            // each vnet's sysctl still names cubic: the listing says what happens meanwhile
            assertEquals(list, "-", ccList(list).get("newreno").defaultIn());
            for (String vnet : List.of("default", "b")) {
                assertTrue(list, list.contains("vnet " + vnet + ": net.inet.tcp.cc.algorithm is 'cubic', which is not available: "
                        + "new connections use newreno until it registers"));
            }
            waitFor("the warning about the default going away in " + logFile(), TIMEOUT, () -> logSince(logStart).lines()
                    .anyMatch(l -> l.matches(".*\\bWARN\\b.*CcRegistry - default congestion control algorithm cubic \\(org\\.protosw\\.tcp \\[\\d+\\]\\) "
                            + "of b, default is going away: new connections there use newreno .*until 'cubic' registers again.*")));

            awaitProgress(flows, PROGRESS);
            finishAll(flows);

            cubic.enable();
            Map<String, CcRow> back = ccList(sh);
            assertTrue("the default did not return to cubic: " + back, back.get("cubic").isDefault());
            assertFalse(sh.run("tcp:cc list").contains("which is not available"));
            Flow later = Flow.open("later", here, listener, PORT, 300, null);
            flows.add(later);
            assertEquals("cubic", later.clientCc());
            for (Flow f : flows.subList(0, flows.size() - 1)) {
                // moved connections stay where they were moved: nothing moves them back
                assertEquals(f.name(), "newreno", f.clientCc());
            }
            awaitProgress(List.of(later), PROGRESS);
            finishAll(List.of(later));
        } finally {
            closeAll(flows, listener);
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /** Waits until every flow has received {@code bytes} more than when called. */
    private static void awaitProgress(List<Flow> flows, long bytes) {
        long[] start = new long[flows.size()];
        for (int i = 0; i < start.length; i++) {
            start[i] = flows.get(i).received();
        }
        waitFor("every transfer to carry " + bytes + " more bytes", TRANSFER_WAIT, () -> {
            for (int i = 0; i < start.length; i++) {
                Flow f = flows.get(i);
                f.rethrow();
                if (f.received() - start[i] < bytes) {
                    return false;
                }
            }
            return true;
        });
    }

    /** Stops every sender at once (what they have queued drains together), then checks each transfer. */
    private static void finishAll(List<Flow> flows) throws InterruptedException {
        for (Flow f : flows) {
            f.stop();
        }
        for (Flow f : flows) {
            f.finishAndCheck();
        }
    }

    private static void closeAll(List<Flow> flows, Socket listener) {
        for (Flow f : flows) {
            f.abort();
        }
        listener.close();
    }

    /** What the log file got since {@code offset}. */
    private static String logSince(long offset) {
        try {
            byte[] all = Files.readAllBytes(logFile());
            return new String(all, (int) Math.min(offset, all.length), (int) Math.max(0, all.length - offset),
                    StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new AssertionError("cannot read " + logFile(), e);
        }
    }

    /** One row of {@code tcp:cc list}: the vnets whose default it is ("-" none), count -1 for an unloaded algorithm. */
    record CcRow(String name, String defaultIn, int count, String bundle) {
        /** The default vnet's default (the clients of these tests are there). */
        boolean isDefault() {
            return List.of(defaultIn.split(",")).contains(NetStack.DEFAULT_VNET);
        }

        boolean unloaded() {
            return count < 0 && bundle.endsWith("(unloaded)");
        }
    }

    private static final Pattern ROW = Pattern.compile("^(\\S+)\\s+(\\S+)\\s+(\\d+|-)\\s+(.+)$");

    private static Map<String, CcRow> ccList(GogoShell sh) throws Exception {
        return ccList(sh.run("tcp:cc list"));
    }

    private static Map<String, CcRow> ccList(String out) {
        List<String> lines = out.lines().toList();
        assertTrue(out, !lines.isEmpty() && lines.get(0).matches("NAME\\s+DEFAULT IN\\s+CONNECTIONS\\s+BUNDLE"));
        Map<String, CcRow> rows = new LinkedHashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            Matcher m = ROW.matcher(line);
            if (m.matches()) {
                String count = m.group(3);
                CcRow r = new CcRow(m.group(1), m.group(2), count.equals("-") ? -1 : Integer.parseInt(count), m.group(4));
                assertTrue("listed twice: " + out, rows.put(r.name(), r) == null);
            }
        }
        assertTrue(out, rows.containsKey("newreno") && rows.containsKey("cubic"));
        return rows;
    }

    /**
     * A bulk transfer from a client here to a connection the listener accepted: the sender
     * streams seeded random bytes until {@link #finishAndCheck} stops it, then shuts down its
     * side; the receiver reads to the end. Both digest what passed.
     */
    static final class Flow {
        private final String name;
        private final Socket client;
        private final Socket server;
        private final AtomicLong received = new AtomicLong();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final AtomicReference<byte[]> sentDigest = new AtomicReference<>();
        private final AtomicReference<byte[]> receivedDigest = new AtomicReference<>();
        private final AtomicLong sent = new AtomicLong();
        private volatile boolean stop;
        private final Thread sender;
        private final Thread receiver;

        private Flow(String name, Socket client, Socket server, long seed) {
            this.name = name;
            this.client = client;
            this.server = server;
            this.receiver = Thread.ofVirtual().name(name + "-rx").start(this::receive);
            this.sender = Thread.ofVirtual().name(name + "-tx").start(() -> send(seed));
        }

        /** Connects (after picking {@code algo} with TCP_CONGESTION, unless null) and starts the transfer. */
        static Flow open(String name, NetStack here, Socket listener, int port, long seed, String algo) throws SocketException {
            Socket c = here.socket(AF_INET, SOCK_STREAM, 0);
            try {
                // what a stopped sender still has queued must cross the pipe before the end
                c.setOption(SockOpt.SO_SNDBUF, SEND_BUFFER);
                if (algo != null) {
                    pick(c, algo);
                }
                c.connect(InetSockAddr.of(SERVER, port));
                return new Flow(name, c, listener.accept(), seed);
            } catch (SocketException | RuntimeException e) {
                c.close();
                throw e;
            }
        }

        static String cc(Socket s) throws SocketException {
            return s.getOption(TcpSockOpts.TCP_INFO).congestionControl();
        }

        static void pick(Socket s, String algo) throws SocketException {
            s.setOption(TcpSockOpts.TCP_CONGESTION, algo);
        }

        String name() {
            return name;
        }

        long received() {
            return received.get();
        }

        String clientCc() throws SocketException {
            String info = cc(client);
            assertEquals(name + ": TCP_CONGESTION and TCP_INFO disagree", info, client.getOption(TcpSockOpts.TCP_CONGESTION));
            return info;
        }

        String serverCc() throws SocketException {
            return cc(server);
        }

        long clientRetransmits() throws SocketException {
            return client.getOption(TcpSockOpts.TCP_INFO).totalRetransmits();
        }

        void rethrow() {
            Throwable t = failure.get();
            if (t != null) {
                throw new AssertionError(name + " failed", t);
            }
        }

        private void send(long seed) {
            try {
                MessageDigest md = sha256();
                Random rnd = new Random(seed);
                byte[] chunk = new byte[16 << 10];
                ByteBuffer out = ByteBuffer.wrap(chunk);
                while (!stop) {
                    rnd.nextBytes(chunk);
                    md.update(chunk);
                    out.clear();
                    while (out.hasRemaining()) {
                        client.send(out);
                    }
                    sent.addAndGet(chunk.length);
                }
                sentDigest.set(md.digest());
                client.shutdown(SHUT_WR);
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }

        private void receive() {
            try {
                MessageDigest md = sha256();
                ByteBuffer in = ByteBuffer.allocate(64 << 10);
                while (true) {
                    in.clear();
                    int n = server.recv(in);
                    if (n <= 0) {
                        break;
                    }
                    md.update(in.array(), 0, n);
                    received.addAndGet(n);
                }
                receivedDigest.set(md.digest());
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }

        /** The sender finishes the chunk it is writing, then shuts its side down. */
        void stop() {
            stop = true;
        }

        /** Stops the sender, waits for the receiver to see the end, and compares what passed. */
        void finishAndCheck() throws InterruptedException {
            stop();
            sender.join(TRANSFER_WAIT.toMillis());
            receiver.join(TRANSFER_WAIT.toMillis());
            rethrow();
            assertFalse(name + ": the sender did not stop", sender.isAlive());
            assertFalse(name + ": the receiver did not reach the end of the stream", receiver.isAlive());
            assertEquals(name + ": bytes received", sent.get(), received.get());
            assertArrayEquals(name + ": SHA-256 of the bytes received", sentDigest.get(), receivedDigest.get());
        }

        /** Ends the transfer whatever its state: closing both ends wakes blocked callers. */
        void abort() {
            stop = true;
            client.close();
            server.close();
            for (Thread t : List.of(sender, receiver)) {
                try {
                    t.join(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                if (t.isAlive()) {
                    t.interrupt();
                }
            }
        }

        private static MessageDigest sha256() {
            try {
                return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** CUBIC's DS component in the TCP bundle, switched off and on through SCR as a bundle stop would. */
    static final class CubicComponent {
        private final ServiceComponentRuntime scr;
        private final ComponentDescriptionDTO description;

        CubicComponent(ServiceComponentRuntime scr, Bundle tcp) {
            this.scr = scr;
            this.description = scr.getComponentDescriptionDTOs(tcp).stream()
                    .filter(d -> d.serviceInterfaces != null
                            && Arrays.asList(d.serviceInterfaces).contains(CongestionControl.class.getName())
                            && d.properties != null && "cubic".equals(String.valueOf(d.properties.get(CongestionControl.NAME_PROPERTY))))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no DS component of " + tcp.getSymbolicName() + " provides cubic"));
            assertTrue("cubic's component is disabled at start", scr.isComponentEnabled(description));
        }

        void disable() throws Exception {
            scr.disableComponent(description).getValue();
        }

        void enable() throws Exception {
            scr.enableComponent(description).getValue();
        }
    }
}
