package org.protosw.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.NetStack;
import org.protosw.socket.Socket;

/**
 * siftr as the loadable module it is in the distribution: its hook reaches TCP (TCP's bundle
 * uses the service) only while enabled, a connection's segments reach its file, and stopping
 * the bundle takes the hook and the sysctls away and closes the file with its footer.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class SiftrIT extends ProtoswTestSupport {
    private static final String HOOK = "org.protosw.tcp.trace.TcpTraceHook";

    private List<ServiceReference<?>> hooks() throws Exception {
        ServiceReference<?>[] refs = bundleContext.getAllServiceReferences(HOOK, null);
        return refs == null ? List.of() : Arrays.asList(refs);
    }

    @Test
    public void hookOnlyWhileEnabledAndGoneWithTheBundle() throws Exception {
        GogoShell sh = new GogoShell(service(CommandProcessor.class, TIMEOUT));
        Bundle siftr = requireBundle("org.protosw.siftr");
        Bundle tcp = requireBundle("org.protosw.tcp");
        assertEquals(Bundle.ACTIVE, siftr.getState());
        assertTrue("no hook while disabled: " + hooks(), hooks().isEmpty());

        Path log = Files.createDirectories(itestFolder()).resolve("siftr-it-" + System.nanoTime() + ".log");
        sh.run("net:sysctl net.inet.siftr.logfile=" + log);
        sh.run("net:sysctl net.inet.siftr.enabled=1");
        List<ServiceReference<?>> on = hooks();
        assertEquals(1, on.size());
        Bundle[] users = on.get(0).getUsingBundles();
        assertTrue("TCP took the hook", users != null && Arrays.asList(users).contains(tcp));

        // one short connection over loopback
        NetStack here = service(NetStack.class, "(" + NetStack.VNET_PROPERTY + "=" + NetStack.DEFAULT_VNET + ")", TIMEOUT);
        try (Socket l = here.socket(AF_INET, SOCK_STREAM, 0)) {
            l.bind(InetSockAddr.of("127.0.0.1", 7900));
            l.listen(1);
            try (Socket c = here.socket(AF_INET, SOCK_STREAM, 0)) {
                c.connect(InetSockAddr.of("127.0.0.1", 7900));
                try (Socket s = l.accept()) {
                    c.send(ByteBuffer.wrap(new byte[1000]));
                    ByteBuffer in = ByteBuffer.allocate(1000);
                    while (in.hasRemaining()) {
                        s.recv(in);
                    }
                }
            }
        }

        siftr.stop();
        assertTrue("no hook once siftr is unloaded: " + hooks(), hooks().isEmpty());
        assertTrue(sh.fail("net:sysctl net.inet.siftr.enabled").contains("unknown oid"));
        List<String> lines = Files.readAllLines(log);
        assertTrue(lines.get(0), lines.get(0).startsWith("enable_time_secs="));
        assertTrue(lines.get(lines.size() - 1), lines.get(lines.size() - 1).startsWith("disable_time_secs="));
        long segments = lines.stream().filter(x -> x.startsWith("i,") || x.startsWith("o,")).count();
        assertTrue("segments of the connection logged: " + lines, segments >= 6);
        assertTrue(lines.stream().anyMatch(x -> x.contains(",127.0.0.1,7900,")));

        // loaded again: the sysctls are back (enabled keeps its saved value, as every sysctl does)
        siftr.start();
        sh.run("net:sysctl net.inet.siftr.enabled=0");
        assertTrue(hooks().isEmpty());
        assertNotNull(sh.run("net:sysctl net.inet.siftr.port_filter"));
    }
}
