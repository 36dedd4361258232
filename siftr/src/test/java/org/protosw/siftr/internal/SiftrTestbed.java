package org.protosw.siftr.internal;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.protosw.internal.kern.StandaloneStack;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.net.Epair;
import org.protosw.internal.net.PipeConfig;
import org.protosw.internal.sw.ProtoEntry;
import org.protosw.internal.sw.ProtoInstance;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
import org.protosw.spi.ConnectionInfo;
import org.protosw.spi.IfAddr;
import org.protosw.spi.Protocol;
import org.protosw.tcp.internal.TcpProtoSw;

/**
 * The real core and TCP without OSGi, two stack instances joined by an epair ({@code a}
 * 10.0.0.1, {@code b} 10.0.0.2), and siftr joined as its bundle would join, its hook handed
 * to TCP directly.
 */
final class SiftrTestbed implements AutoCloseable {
    static final InAddr A = InAddr.of(10, 0, 0, 1);
    static final InAddr B = InAddr.of(10, 0, 0, 2);

    final StandaloneStack stack;
    final TcpProtoSw tcp = TcpProtoSw.standalone();
    final Vnet a;
    final Vnet b;
    final Epair pair;
    final Siftr siftr;
    private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();

    SiftrTestbed(Path logDir) throws Exception {
        stack = new StandaloneStack();
        stack.register(tcp, TcpProtoSw.PROPERTIES, "org.protosw.tcp (test)");
        a = stack.stack();
        b = stack.createVnet("b");
        pair = new Epair(stack.core().nextEpairUnit());
        a.attachInterface(pair.a());
        b.attachInterface(pair.b());
        a.addAddress(pair.a(), new IfAddr(A, 24, InAddr.of(10, 0, 0, 255)));
        b.addAddress(pair.b(), new IfAddr(B, 24, InAddr.of(10, 0, 0, 255)));
        pair.a().setUp(true);
        pair.b().setUp(true);
        siftr = new Siftr(hook -> {
            tcp.addTraceHook(hook);
            return () -> tcp.removeTraceHook(hook);
        }, logDir);
        stack.core().addModule(siftr, "org.protosw.siftr (test)");
    }

    /** The pipe on {@code a}'s outbound side (the data direction), e.g. "delay 5ms plr 0.02". */
    void pipeA(String config) throws Exception {
        a.pipes().config(1, PipeConfig.parse(config));
        a.pipes().attach(1, pair.a(), false);
    }

    void sysctl(Vnet v, String name, long value) {
        v.sysctl().find(name).set(value);
    }

    Protocol tcpOf(Vnet v) {
        ProtoEntry e = stack.core().registry().entry("tcp");
        ProtoInstance pi = e == null ? null : e.instance(v.name());
        return pi == null ? null : pi.protocol();
    }

    long stat(Vnet v, String name) {
        Long x = tcpOf(v).statistics().get(name);
        if (x == null) {
            throw new IllegalArgumentException("no TCP statistic '" + name + "' in " + tcpOf(v).statistics().keySet());
        }
        return x;
    }

    List<ConnectionInfo> orphans(Vnet v) {
        return tcpOf(v).orphans();
    }

    /** a connects to b:port and sends {@code size} seeded bytes; b reads them all. Returns true when they arrived intact. */
    boolean transfer(int port, int size) throws Exception {
        byte[] data = new byte[size];
        new Random(port).nextBytes(data);
        try (Socket l = b.socket(SocketConstants.AF_INET, SocketConstants.SOCK_STREAM, SocketConstants.IPPROTO_TCP)) {
            l.bind(new InetSockAddr(B, port));
            l.listen(4);
            Future<byte[]> server = pool.submit(() -> {
                try (Socket c = l.accept()) {
                    byte[] got = new byte[size + 1];
                    int n = 0;
                    while (n < got.length) {
                        int r = c.recv(ByteBuffer.wrap(got, n, got.length - n));
                        if (r <= 0) {
                            break;
                        }
                        n += r;
                    }
                    return java.util.Arrays.copyOf(got, n);
                }
            });
            try (Socket c = a.socket(SocketConstants.AF_INET, SocketConstants.SOCK_STREAM, SocketConstants.IPPROTO_TCP)) {
                c.connect(new InetSockAddr(B, port));
                ByteBuffer bb = ByteBuffer.wrap(data);
                while (bb.hasRemaining()) {
                    c.send(bb);
                }
                c.shutdown(SocketConstants.SHUT_WR);
                byte[] got = server.get(120, TimeUnit.SECONDS);
                return MessageDigest.isEqual(MessageDigest.getInstance("SHA-256").digest(got),
                        MessageDigest.getInstance("SHA-256").digest(data));
            }
        }
    }

    /** Waits (bounded) for a condition; true when it held in time. */
    static boolean eventually(long timeoutMs, java.util.function.BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < deadline) {
            if (cond.getAsBoolean()) {
                return true;
            }
            Thread.sleep(5);
        }
        return cond.getAsBoolean();
    }

    Map<String, Long> stats(Vnet v) {
        return tcpOf(v).statistics();
    }

    @Override
    public void close() {
        pool.shutdownNow();
        stack.core().removeModule(siftr);
        stack.close();
    }
}
