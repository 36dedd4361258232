package org.protosw.internal.socket;

import static org.protosw.internal.socket.TestDomain.AF_TDOM;
import static org.protosw.socket.SocketConstants.SOCK_SEQPACKET;

import java.util.concurrent.atomic.AtomicLong;

import org.protosw.internal.socket.TestDomain.TAddr;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/** A {@link TestNet} with the test domain, the lower datagram protocol and the upper SEQPACKET one. */
final class Upper implements AutoCloseable {
    final TestNet net;
    final AtomicLong clock = new AtomicLong();
    final TestDomain domain = new TestDomain();
    final TestUpperProto upper = new TestUpperProto(clock);
    volatile TestDgramProto lower;
    private int nextPort = 1;

    Upper() {
        this(new TestNet());
    }

    Upper(TestNet net) {
        this.net = net;
        net.registry.registerDomain(domain, "org.example.tdom [31] 2.0.0");
        loadLower();
        if (!net.register(upper, TestUpperProto.props("tseq", SOCK_SEQPACKET)).accepted()) {
            throw new IllegalStateException("tseq refused");
        }
    }

    /** As the lower bundle starting: a new service object. */
    TestDgramProto loadLower() {
        TestDgramProto p = new TestDgramProto();
        p.onAbort = () -> lowerAborts.add(clock.incrementAndGet());
        if (!net.register(p, TestDgramProto.props("tudp", 17)).accepted()) {
            throw new IllegalStateException("tudp refused");
        }
        lower = p;
        return p;
    }

    final java.util.concurrent.ConcurrentLinkedQueue<Long> lowerAborts = new java.util.concurrent.ConcurrentLinkedQueue<>();

    void unloadLower() {
        net.registry.unregister(lower);
    }

    Socket seq() throws SocketException {
        return net.layer.socket(AF_TDOM, SOCK_SEQPACKET, 0);
    }

    /** Two connected SEQPACKET sockets. */
    synchronized Socket[] pair() throws SocketException {
        int a = nextPort++;
        int b = nextPort++;
        Socket x = seq();
        Socket y = seq();
        x.bind(new TAddr(a));
        y.bind(new TAddr(b));
        x.connect(new TAddr(b));
        y.connect(new TAddr(a));
        return new Socket[] {x, y};
    }

    /** Waits until a thread is parked in a blocking call (or has ended). */
    static void awaitParked(Thread t) {
        for (long i = 0; i < 5_000_000L; i++) {
            Thread.State st = t.getState();
            if (st == Thread.State.WAITING || st == Thread.State.TIMED_WAITING || st == Thread.State.TERMINATED) {
                return;
            }
            Thread.onSpinWait();
            if (i % 1000 == 999) {
                Thread.yield();
            }
        }
        throw new AssertionError(t + " never blocked");
    }

    @Override
    public void close() {
        net.close();
    }
}
