package org.protosw.udp.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

import org.protosw.internal.kern.StandaloneStack;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.net.Epair;
import org.protosw.internal.net.NetInterface;
import org.protosw.internal.sw.ProtoEntry;
import org.protosw.internal.sw.ProtoInstance;
import org.protosw.socket.InAddr;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;
import org.protosw.spi.IfAddr;
import org.protosw.spi.ProtoSwEntry;
import org.protosw.spi.Tunable;
import org.protosw.udp.internal.UdpProtoSw;

/**
 * The whole stack without OSGi for end-to-end tests: the real core with its default vnet,
 * the real UDP loaded as its bundle would register it, epairs between vnets, and the
 * threads a test starts (joined on close, after the stack is gone so blocked calls woke).
 */
final class Lab implements AutoCloseable {
    static final String OWNER = "org.protosw.udp (integration test)";
    /** Name prefixes of the threads a stack instance runs. */
    static final String[] STACK_THREADS = {"netisr-", "callout-", "dummynet-"};

    final StandaloneStack stack;
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private volatile UdpProtoSw udp;

    Lab() throws SocketException {
        stack = new StandaloneStack();
        loadUdp();
    }

    /** UDP's service properties, as its {@code @ProtoSwEntry} annotation gives them. */
    static Map<String, Object> udpProperties() {
        return UdpProtoSw.PROPERTIES;
    }

    /** Registers a new UdpProtoSw instance (as a bundle start would). */
    UdpProtoSw loadUdp() {
        UdpProtoSw sw = new UdpProtoSw();
        assertThat(stack.core().registry().register(sw, udpProperties(), OWNER).accepted()).as("udp registered").isTrue();
        udp = sw;
        return sw;
    }

    /** Unregisters the loaded UdpProtoSw (as a bundle stop would). */
    void unloadUdp() {
        stack.unregister(udp);
    }

    UdpProtoSw udp() {
        return udp;
    }

    Vnet def() {
        return stack.stack();
    }

    Vnet vnet(String name) throws SocketException {
        return stack.createVnet(name);
    }

    /** An epair joining two vnets, each end up with one address. */
    record Link(Epair pair, Vnet va, Epair.End a, InAddr addrA, Vnet vb, Epair.End b, InAddr addrB) {
    }

    /** Creates an epair, puts end a into {@code va} with {@code addrA/prefix}, end b into {@code vb}. */
    Link link(Vnet va, String addrA, Vnet vb, String addrB, int prefix) throws SocketException {
        Epair pair = new Epair(stack.core().nextEpairUnit());
        va.attachInterface(pair.a());
        vb.attachInterface(pair.b());
        InAddr a = address(va, pair.a(), addrA, prefix);
        InAddr b = address(vb, pair.b(), addrB, prefix);
        pair.a().setUp(true);
        pair.b().setUp(true);
        return new Link(pair, va, pair.a(), a, vb, pair.b(), b);
    }

    /** As ifconfig IF inet ADDR/LEN: the broadcast address goes with it on a broadcast interface. */
    static InAddr address(Vnet v, NetInterface ifp, String addr, int prefix) throws SocketException {
        InAddr a = InAddr.parse(addr);
        InAddr bcast = prefix < 31 ? new InAddr(a.bits() | ~InAddr.netmask(prefix)) : null;
        v.addAddress(ifp, new IfAddr(a, prefix, bcast));
        return a;
    }

    static Socket udpSocket(Vnet v) throws SocketException {
        return v.socket(AF_INET, SOCK_DGRAM, 0);
    }

    /** UDP's netstat -s counters in {@code v}; empty when UDP does not run there. */
    Map<String, Long> udpStats(Vnet v) {
        ProtoEntry e = stack.core().registry().entry("udp");
        ProtoInstance pi = e == null ? null : e.instance(v.name());
        return pi == null ? Map.of() : pi.statistics();
    }

    long udpStat(Vnet v, String key) {
        return stat(udpStats(v), key);
    }

    static long ipStat(Vnet v, String key) {
        return stat(v.ip().ipStatistics(), key);
    }

    /** An ICMP counter; the histogram lines exist only once non-zero. */
    static long icmpStat(Vnet v, String key) {
        Long n = v.ip().icmpStatistics().get(key);
        return n == null ? 0 : n;
    }

    static long stat(Map<String, Long> m, String key) {
        Long n = m.get(key);
        if (n == null) {
            fail("no counter '" + key + "' in " + m.keySet());
        }
        return n;
    }

    static void sysctl(Vnet v, String name, long value) {
        Tunable t = v.sysctl().find(name);
        assertThat(t).as("sysctl " + name).isNotNull();
        t.set(value);
    }

    /** Waits (bounded) until {@code cond} holds; fails naming {@code what} otherwise. */
    static void await(String what, long timeoutMillis, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out after " + timeoutMillis + " ms waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    /** A task on its own named thread; {@link #close} joins it. */
    <T> Task<T> spawn(String name, Callable<T> body) {
        FutureTask<T> f = new FutureTask<>(body);
        Thread t = Thread.ofPlatform().daemon().name("it-" + name).unstarted(f);
        threads.add(t);
        t.start();
        return new Task<>(t, f);
    }

    record Task<T>(Thread thread, FutureTask<T> future) {
        /** The result; the task's own exception is thrown as is. */
        T join(long timeoutMillis) throws Exception {
            try {
                return future.get(timeoutMillis, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof Exception x) {
                    throw x;
                }
                throw e;
            } catch (TimeoutException e) {
                throw new AssertionError("task " + thread.getName() + " did not finish in " + timeoutMillis + " ms", e);
            }
        }

        boolean isDone() {
            return future.isDone();
        }
    }

    /** Names of the live threads that start with one of the prefixes. */
    static List<String> threadsNamed(String... prefixes) {
        List<String> out = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (!t.isAlive()) {
                continue;
            }
            for (String p : prefixes) {
                if (t.getName().startsWith(p)) {
                    out.add(t.getName());
                    break;
                }
            }
        }
        out.sort(null);
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        try {
            stack.close();
        } finally {
            for (Thread t : threads) {
                t.join(5_000);
                if (t.isAlive()) {
                    t.interrupt();
                    t.join(5_000);
                }
            }
        }
        for (Thread t : threads) {
            assertThat(t.isAlive()).as("test thread " + t.getName() + " stopped").isFalse();
        }
        // the stack's own threads end with it (tests run one at a time: none of another's remain)
        assertThat(threadsNamed(STACK_THREADS)).as("stack threads left after close").isEmpty();
    }
}
