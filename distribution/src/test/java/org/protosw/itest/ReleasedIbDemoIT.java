package org.protosw.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.protosw.socket.SocketConstants.SOCK_SEQPACKET;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.CoreOptions;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.options.UrlProvisionOption;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.Version;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;
import org.protosw.socket.NetStack;
import org.protosw.socket.SockAddr;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/**
 * Old binary, new core: the IB demo jar of release 1.0.0, as released (read from
 * {@code release/repo} in the tree, not rebuilt), runs on the core and UDP of this build. Its
 * SPI imports wire to this build's core; a transfer like the IB module's IbTransferTest goes
 * between two vnets across an epair made with the shell, over SOCK_SEQPACKET (records of 1
 * byte to 64 KiB, SENDs and RDMA WRITEs) and over SOCK_STREAM, and arrives intact (SHA-256,
 * and for SEQPACKET the record count). The test touches the IB bundle only through the
 * public socket API ({@code NetStack.parseAddress} for its addresses) and the shell.
 * {@code -Dprotosw.ib.size=BYTES} sets the size of each transfer (64 MiB by default, as IbTransferTest).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ReleasedIbDemoIT extends ProtoswTestSupport {
    private static final String IB = "org.protosw.ib.demo";
    private static final String CORE = "org.protosw.framework";
    /** AF_IB, the released demo's family (IbConstants.AF_IB, not referenced: no class of the bundle here). */
    private static final int AF_IB = 27;
    private static final long SIZE = Long.getLong("protosw.ib.size", 64L << 20);
    private static final int MAX_MSG = 64 * 1024;

    /** The distribution's bundles, with the deployed IB demo replaced by the released jar. */
    @Override
    @Configuration
    public Option[] configuration() {
        String released = releasedJar("protocols-infiniband-demo").toUri().toString();
        List<Option> options = new ArrayList<>();
        int replaced = 0;
        for (Option o : super.configuration()) {
            if (o instanceof UrlProvisionOption p && p.getURL().endsWith("/" + IB + ".jar")) {
                options.add(CoreOptions.bundle(released).start());
                replaced++;
            } else {
                options.add(o);
            }
        }
        if (replaced != 1) {
            throw new IllegalStateException("expected the distribution to deploy " + IB + ".jar once, found " + replaced);
        }
        return options.toArray(Option[]::new);
    }

    /** A jar of the release the baseline compares with, in the tree's release repository. */
    static Path releasedJar(String artifactId) {
        String repo = System.getProperty("protosw.release.repo");
        String version = System.getProperty("protosw.baseline.version");
        if (repo == null || version == null) {
            throw new IllegalStateException("protosw.release.repo and protosw.baseline.version are not set: run with 'mvn verify'");
        }
        Path jar = Path.of(URI.create(repo)).resolve("org/protosw/" + artifactId + "/" + version + "/" + artifactId + "-" + version + ".jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no released jar at " + jar);
        }
        return jar;
    }

    @Test
    public void theReleasedIbDemoCarriesSeqpacketAndStreamOnThisBuildsCore() throws Exception {
        Path jar = releasedJar("protocols-infiniband-demo");
        Bundle ib = requireBundle(IB);
        Bundle core = requireBundle(CORE);
        assertEquals("the IB bundle comes from the release repository", jar.toUri().toString(), ib.getLocation());
        assertEquals(new Version(1, 0, 0), ib.getVersion());
        assertEquals("the jar is the released one, byte for byte (its .sha1 in the repository)",
                Files.readString(Path.of(jar + ".sha1"), StandardCharsets.US_ASCII).strip(), sha1(jar));
        assertTrue("the core is this build's, from target/protosw: " + core.getLocation(),
                core.getLocation().startsWith(distribution().toUri().toString()));
        waitFor("the released IB bundle to be active", TIMEOUT, () -> ib.getState() == Bundle.ACTIVE);
        int spiWires = 0;
        for (BundleWire w : ib.adapt(BundleWiring.class).getRequiredWires(PackageNamespace.PACKAGE_NAMESPACE)) {
            String pkg = (String) w.getCapability().getAttributes().get(PackageNamespace.PACKAGE_NAMESPACE);
            if (pkg.startsWith("org.protosw.") && !pkg.startsWith("org.protosw.ib.")) {
                assertEquals(pkg + " wires to this build's core", core, w.getProvider().getBundle());
                spiWires++;
            }
        }
        assertTrue("the released IB bundle imports the core's packages", spiWires >= 3);

        GogoShell sh = new GogoShell(service(CommandProcessor.class, TIMEOUT));
        waitFor("ib-rc and ib-sdp in net:protocols", TIMEOUT, () -> {
            try {
                String p = sh.run("net:protocols");
                return p.contains("ib-rc") && p.contains("ib-sdp");
            } catch (Exception e) {
                return false;
            }
        });
        linkVnetB(sh);
        NetStack here = stack(NetStack.DEFAULT_VNET);
        NetStack there = stack("b");

        transfer(here, there, SOCK_SEQPACKET, 0x2000);
        transfer(here, there, SOCK_STREAM, 0x2001);
    }

    private NetStack stack(String vnet) {
        return service(NetStack.class, "(" + NetStack.VNET_PROPERTY + "=" + vnet + ")", TIMEOUT);
    }

    /** SIZE bytes from here to a listener in b on service {@code sid}; fails unless they arrive intact. */
    private static void transfer(NetStack here, NetStack there, int type, long sid) throws Exception {
        String name = type == SOCK_SEQPACKET ? "SEQPACKET" : "STREAM";
        Socket listener = there.socket(AF_IB, type, 0);
        listener.bind(there.parseAddress(AF_IB, "[::]:" + sid));
        listener.listen(4);
        CompletableFuture<Socket> accepted = CompletableFuture.supplyAsync(() -> {
            try {
                return listener.accept();
            } catch (SocketException e) {
                throw new IllegalStateException(e);
            }
        });
        Socket client = here.socket(AF_IB, type, 0);
        SockAddr peer = here.parseAddress(AF_IB, "[::ffff:192.0.2.2]:" + sid);
        client.connect(peer);
        Socket server = accepted.get(30, TimeUnit.SECONDS);
        listener.close();
        long t0 = System.nanoTime();
        CompletableFuture<Digest> received = CompletableFuture.supplyAsync(() -> {
            try {
                return receive(server, SIZE);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Digest sent = send(client, SIZE, 42, type == SOCK_SEQPACKET);
        Digest got = received.get(10, TimeUnit.MINUTES);
        System.out.printf("[released-ib] %s %d bytes in %.2f s%n", name, got.bytes(), (System.nanoTime() - t0) / 1e9);
        assertEquals(name + ": bytes", SIZE, got.bytes());
        assertEquals(name + ": SHA-256 of what arrived", sent.sha256(), got.sha256());
        if (type == SOCK_SEQPACKET) {
            assertEquals(name + ": records, boundaries kept", sent.messages(), got.messages());
        }
        client.close();
        server.close();
    }

    private record Digest(long bytes, long messages, String sha256) {
    }

    /** A seeded stream: records of 1 byte to 64 KiB for SEQPACKET, 64 KiB writes for STREAM. */
    private static Digest send(Socket s, long total, long seed, boolean records) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        SplittableRandom r = new SplittableRandom(seed);
        byte[] buf = new byte[MAX_MSG];
        long sent = 0;
        long msgs = 0;
        while (sent < total) {
            int n = (int) Math.min(total - sent, records ? 1 + r.nextInt(MAX_MSG) : MAX_MSG);
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

    private static Digest receive(Socket s, long total) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        ByteBuffer bb = ByteBuffer.allocate(MAX_MSG);
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

    private static String sha1(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(Files.readAllBytes(file)));
    }
}
