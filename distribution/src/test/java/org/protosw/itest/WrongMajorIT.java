package org.protosw.itest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.framework.wiring.FrameworkWiring;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.NetStack;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/**
 * Wrong major: a module built for an SPI major the core does not offer (a bundle importing
 * {@code org.protosw.spi;version="[2.0,3)"}, made here) stays unresolved, even when the
 * framework is asked to resolve everything; {@code net:diag} says in one line which package
 * and version it needs and which the core offers; nothing else is disturbed: every other
 * bundle keeps its state and its wiring (none was refreshed), the protocol list is the same,
 * and UDP and TCP keep serving.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class WrongMajorIT extends ProtoswTestSupport {
    private static final String NEEDS_SPI2 = "org.protosw.test.needs.spi2";

    @Test
    public void aBundleForSpi2StaysUnresolvedAndDiagSaysWhatItNeedsAndWhatTheCoreOffers() throws Exception {
        NetStack stack = service(NetStack.class, "(" + NetStack.VNET_PROPERTY + "=" + NetStack.DEFAULT_VNET + ")", TIMEOUT);
        GogoShell sh = new GogoShell(service(CommandProcessor.class, TIMEOUT));
        Bundle core = requireBundle("org.protosw.framework");
        String offered = spiVersionOf(core);
        String protocolsBefore = sh.run("net:protocols");
        Map<Long, Integer> states = new HashMap<>();
        Map<Long, BundleWiring> wirings = new HashMap<>();
        for (Bundle b : bundleContext.getBundles()) {
            states.put(b.getBundleId(), b.getState());
            wirings.put(b.getBundleId(), b.adapt(BundleWiring.class));
        }
        UdpEchoIT.echo(stack, "127.0.0.1", stack, "127.0.0.1", 20, 1000);

        Bundle spi2;
        try (InputStream jar = bundleJar(NEEDS_SPI2, "org.protosw.spi;version=\"[2.0,3)\"")) {
            spi2 = bundleContext.installBundle("wrong-major:" + NEEDS_SPI2, jar);
        }
        try {
            try {
                spi2.start();
                fail("a bundle importing org.protosw.spi [2.0,3) started on SPI " + offered);
            } catch (BundleException e) {
                assertEquals(e.toString(), BundleException.RESOLVE_ERROR, e.getType());
            }
            FrameworkWiring fw = bundleContext.getBundle(0).adapt(FrameworkWiring.class);
            assertFalse("resolving everything resolves the SPI 2 bundle", fw.resolveBundles(null));
            assertEquals(Bundle.INSTALLED, spi2.getState());

            String diag = sh.run("net:diag");
            List<String> lines = diag.lines().filter(l -> l.contains(NEEDS_SPI2)).toList();
            assertEquals(diag, 1, lines.size());
            assertEquals("unresolved: " + NEEDS_SPI2 + " [" + spi2.getBundleId() + "] 1.0.0 needs package org.protosw.spi [2.0.0,3.0.0), "
                    + "the core (org.protosw.framework " + core.getVersion() + ") offers " + offered, lines.get(0));

            for (Bundle b : bundleContext.getBundles()) {
                if (b.getBundleId() == spi2.getBundleId()) {
                    continue;
                }
                assertEquals(b.getSymbolicName() + "'s state", states.get(b.getBundleId()), (Integer) b.getState());
                assertSame(b.getSymbolicName() + " was refreshed", wirings.get(b.getBundleId()), b.adapt(BundleWiring.class));
            }
            assertEquals("net:protocols", protocolsBefore, sh.run("net:protocols"));
            UdpEchoIT.echo(stack, "127.0.0.1", stack, "127.0.0.1", 20, 1000);
            tcpExchange(stack, 64 * 1024);
        } finally {
            spi2.uninstall();
        }
        assertFalse("net:diag still names the uninstalled bundle", sh.run("net:diag").contains(NEEDS_SPI2));
    }

    /** The version of org.protosw.spi the core exports, as the framework sees it. */
    private static String spiVersionOf(Bundle core) {
        for (BundleCapability c : core.adapt(BundleRevision.class).getDeclaredCapabilities(PackageNamespace.PACKAGE_NAMESPACE)) {
            if ("org.protosw.spi".equals(c.getAttributes().get(PackageNamespace.PACKAGE_NAMESPACE))) {
                return String.valueOf(c.getAttributes().get(PackageNamespace.CAPABILITY_VERSION_ATTRIBUTE));
            }
        }
        throw new AssertionError("the core exports no org.protosw.spi");
    }

    /** A bundle with nothing but a manifest importing {@code imports}: what a module built for SPI 2 declares. */
    private static InputStream bundleJar(String bsn, String imports) throws IOException {
        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", bsn);
        a.putValue("Bundle-Version", "1.0.0");
        a.putValue("Import-Package", imports);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(out, m)) {
            jar.flush();
        }
        return new ByteArrayInputStream(out.toByteArray());
    }

    /** A TCP connection over lo0 carries {@code size} bytes each way, intact. */
    private static void tcpExchange(NetStack stack, int size) throws Exception {
        byte[] data = new byte[size];
        new Random(3).nextBytes(data);
        try (Socket listener = stack.socket(AF_INET, SOCK_STREAM, 0)) {
            listener.bind(InetSockAddr.of("127.0.0.1", 0));
            listener.listen(1);
            CompletableFuture<Void> server = CompletableFuture.runAsync(() -> {
                try (Socket s = listener.accept()) {
                    byte[] got = readFully(s, size);
                    ByteBuffer back = ByteBuffer.wrap(got);
                    while (back.hasRemaining()) {
                        s.send(back);
                    }
                } catch (SocketException e) {
                    throw new IllegalStateException(e);
                }
            });
            try (Socket c = stack.socket(AF_INET, SOCK_STREAM, 0)) {
                c.connect(listener.localAddress());
                ByteBuffer out = ByteBuffer.wrap(data);
                while (out.hasRemaining()) {
                    c.send(out);
                }
                assertArrayEquals("the bytes TCP echoed", data, readFully(c, size));
            }
            server.get(30, TimeUnit.SECONDS);
        }
    }

    private static byte[] readFully(Socket s, int size) throws SocketException {
        ByteBuffer in = ByteBuffer.allocate(size);
        while (in.hasRemaining()) {
            if (s.recv(in) <= 0) {
                break;
            }
        }
        assertTrue("connection ended after " + in.position() + " of " + size + " bytes", !in.hasRemaining());
        return in.array();
    }
}
