package org.protosw.ib.demo.internal.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.protosw.ib.demo.IbConstants;
import org.protosw.ib.demo.IbGid;
import org.protosw.ib.demo.IbSockAddr;
import org.protosw.ib.demo.internal.verbs.IbStats;
import org.protosw.internal.kern.StandaloneStack;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.net.Epair;
import org.protosw.internal.net.PipeConfig;
import org.protosw.internal.net.PipeStats;
import org.protosw.socket.InAddr;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;
import org.protosw.spi.IfAddr;
import org.protosw.udp.internal.UdpProtoSw;

/**
 * The real core without OSGi, with UDP, the AF_IB domain and its two switch entries
 * registered as their bundles would, and two vnets joined by an epair: {@code a} (the
 * default vnet, 192.0.2.1) and {@code b} (192.0.2.2), RFC 5737 addresses.
 */
final class IbLab implements AutoCloseable {
    static final String OWNER = "org.protosw.ib.demo (test)";
    static final InAddr A = InAddr.of(192, 0, 2, 1);
    static final InAddr B = InAddr.of(192, 0, 2, 2);
    static final IbGid GID_A = IbGid.ofIpv4(A.bits());
    static final IbGid GID_B = IbGid.ofIpv4(B.bits());

    final StandaloneStack stack;
    final IbDomain domain = new IbDomain();
    final IbRcProtoSw rc = new IbRcProtoSw();
    final IbSdpProtoSw sdp = new IbSdpProtoSw();
    private volatile UdpProtoSw udp;
    final Vnet a;
    final Vnet b;
    final Epair pair;
    private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();

    IbLab() throws Exception {
        stack = new StandaloneStack();
        loadUdp();
        assertThat(stack.core().registry().registerDomain(domain, OWNER)).as("ib domain registered").isNull();
        assertThat(stack.core().registry().register(rc, IbRcProtoSw.PROPERTIES, OWNER).accepted()).isTrue();
        assertThat(stack.core().registry().register(sdp, IbSdpProtoSw.PROPERTIES, OWNER).accepted()).isTrue();
        a = stack.stack();
        b = stack.createVnet("b");
        pair = new Epair(stack.core().nextEpairUnit());
        a.attachInterface(pair.a());
        b.attachInterface(pair.b());
        a.addAddress(pair.a(), new IfAddr(A, 24, InAddr.of(192, 0, 2, 255)));
        b.addAddress(pair.b(), new IfAddr(B, 24, InAddr.of(192, 0, 2, 255)));
        pair.a().setUp(true);
        pair.b().setUp(true);
    }

    void loadUdp() {
        UdpProtoSw sw = new UdpProtoSw();
        assertThat(stack.core().registry().register(sw, UdpProtoSw.PROPERTIES, "org.protosw.udp (test)").accepted()).isTrue();
        udp = sw;
    }

    void unloadUdp() {
        stack.unregister(udp);
    }

    /** Drops the lab's own reference to the unloaded UDP (as an uninstalled bundle's would go). */
    void forgetUdp() {
        udp = null;
    }

    IbVnet ib(Vnet v) {
        return domain.vnet(v.name());
    }

    IbStats stats(Vnet v) {
        return ib(v).hca().stats();
    }

    long stat(Vnet v, IbStats.Counter c) {
        return stats(v).get(c);
    }

    /** A pipe on both ends' outbound side, e.g. "plr 0.01" (seeded, so runs repeat). */
    void pipes(String config) throws SocketException {
        a.pipes().config(1, PipeConfig.parse(config + " seed 11"));
        a.pipes().attach(1, pair.a(), false);
        b.pipes().config(1, PipeConfig.parse(config + " seed 17"));
        b.pipes().attach(1, pair.b(), false);
    }

    /** The counters of the pipe on {@code v}'s end. */
    static PipeStats pipe(Vnet v) {
        return v.pipes().get(1).stats();
    }

    static Socket socket(Vnet v, int type) throws SocketException {
        return v.socket(IbConstants.AF_IB, type, 0);
    }

    static Socket listener(Vnet v, int type, long sid) throws SocketException {
        Socket l = socket(v, type);
        l.bind(new IbSockAddr(IbSockAddr.ANY_GID, sid));
        l.listen(8);
        return l;
    }

    /** A connection of {@code type} from a to a listener on service {@code sid} in b: {client, server}. */
    Socket[] connect(int type, long sid) throws Exception {
        try (Socket l = listener(b, type, sid)) {
            Future<Socket> acc = async(l::accept);
            Socket c = socket(a, type);
            c.connect(new IbSockAddr(GID_B, sid));
            return new Socket[] {c, acc.get(30, java.util.concurrent.TimeUnit.SECONDS)};
        }
    }

    <T> Future<T> async(Callable<T> task) {
        return pool.submit(task);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Bytes counted and hashed. */
    record Digest(long bytes, long messages, String sha256) {
    }

    /**
     * Sends {@code total} bytes of a seeded stream: SOCK_SEQPACKET in messages of 1 byte to
     * {@code maxMsg} (sizes seeded too), SOCK_STREAM in writes of {@code maxMsg}.
     */
    static Digest send(Socket s, long total, long seed, int maxMsg) throws SocketException {
        MessageDigest md = sha256();
        SplittableRandom r = new SplittableRandom(seed);
        byte[] buf = new byte[maxMsg];
        long sent = 0;
        long msgs = 0;
        boolean seq = s.type() == SocketConstants.SOCK_SEQPACKET;
        while (sent < total) {
            int n = (int) Math.min(total - sent, seq ? 1 + r.nextInt(maxMsg) : maxMsg);
            r.nextBytes(buf);
            md.update(buf, 0, n);
            ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
            while (bb.hasRemaining()) {
                s.send(bb);
            }
            sent += n;
            msgs++;
        }
        return new Digest(sent, msgs, HexFormat.of().formatHex(md.digest()));
    }

    /** Receives until {@code total} bytes came (or the end of the stream), hashing them. */
    static Digest receive(Socket s, long total, int maxMsg) throws SocketException {
        MessageDigest md = sha256();
        ByteBuffer bb = ByteBuffer.allocate(Math.max(maxMsg, 64 * 1024));
        long got = 0;
        long msgs = 0;
        while (got < total) {
            bb.clear();
            int n = s.recv(bb);
            if (n <= 0) {
                break;
            }
            md.update(bb.array(), 0, n);
            got += n;
            msgs++;
        }
        return new Digest(got, msgs, HexFormat.of().formatHex(md.digest()));
    }

    @Override
    public void close() {
        pool.shutdownNow();
        stack.close();
    }
}
