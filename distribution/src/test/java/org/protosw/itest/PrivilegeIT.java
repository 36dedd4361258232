package org.protosw.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.protosw.socket.SocketConstants.AF_DIVERT;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;
import static org.protosw.socket.SocketConstants.SOCK_RAW;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.apache.felix.service.command.CommandProcessor;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.protosw.socket.Errno;
import org.protosw.socket.NetStack;
import org.protosw.socket.SocketException;
import org.protosw.spi.Packet;
import org.protosw.spi.Pfil;
import org.protosw.spi.PfilHook;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.NetModule;

/**
 * Rights (FreeBSD's PRIV_NETINET_RAW and PRIV_NETINET_DIVERT): a bundle not granted them in
 * org.protosw.priv gets EPERM for a raw socket, a divert socket and a pfil hook, with a log
 * line naming it, while its ordinary sockets and the core's own raw users (net:ping) are
 * untouched; granted, it opens them; the grant taken back, EPERM again.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class PrivilegeIT extends ProtoswTestSupport {

    private NetStack stack() {
        return service(NetStack.class, "(" + NetStack.VNET_PROPERTY + "=" + NetStack.DEFAULT_VNET + ")", TIMEOUT);
    }

    private static Errno errnoOf(NetStack stack, int domain, int type, int protocol) {
        try {
            stack.socket(domain, type, protocol).close();
            return null;
        } catch (SocketException e) {
            return e.errno();
        }
    }

    @Test
    public void aBundleWithoutTheRightGetsEpermAndALogLineGrantedItOpens() throws Exception {
        NetStack stack = stack();
        String probe = bundleContext.getBundle().getSymbolicName();
        waitFor("divert to serve (EPERM, not EPROTONOSUPPORT)", TIMEOUT,
                () -> errnoOf(stack, AF_DIVERT, SOCK_RAW, 0) == Errno.EPERM);
        assertEquals(Errno.EPERM, errnoOf(stack, AF_INET, SOCK_RAW, 1));
        try {
            stack.socket(AF_INET, SOCK_RAW, 1).close();
            fail("a raw socket without the right");
        } catch (SocketException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("bundle " + probe) && e.getMessage().contains("'raw'")
                    && e.getMessage().contains("org.protosw.priv"));
        }
        // what needs no right is untouched, and so is the core's own raw socket (net:ping)
        assertEquals(null, errnoOf(stack, AF_INET, SOCK_DGRAM, 0));
        String ping = new GogoShell(service(CommandProcessor.class, TIMEOUT)).run("net:ping -c 1 127.0.0.1");
        assertTrue(ping, ping.contains("1 packets transmitted, 1 packets received"));
        String log = Files.readString(logFile(), StandardCharsets.UTF_8);
        assertTrue("a log line names the bundle refused a raw socket",
                log.lines().anyMatch(l -> l.contains("refused") && l.contains("bundle " + probe) && l.contains("a raw socket")));
        assertTrue("a log line names the bundle refused a divert socket",
                log.lines().anyMatch(l -> l.contains("refused") && l.contains("bundle " + probe) && l.contains("a divert socket")));

        grantProbe("raw", "divert");
        waitFor("the raw right to apply", TIMEOUT, () -> errnoOf(stack, AF_INET, SOCK_RAW, 1) == null);
        assertEquals(null, errnoOf(stack, AF_DIVERT, SOCK_RAW, 0));

        grantProbe();
        waitFor("the rights to be taken back", TIMEOUT, () -> errnoOf(stack, AF_INET, SOCK_RAW, 1) == Errno.EPERM);
        assertEquals(Errno.EPERM, errnoOf(stack, AF_DIVERT, SOCK_RAW, 0));
    }

    /** A module of the probe's: its pfil hook needs the right, refused it joins with nothing registered. */
    @Test
    public void aPfilHookNeedsTheRight() throws Exception {
        String probe = bundleContext.getBundle().getSymbolicName();
        java.util.concurrent.LinkedBlockingQueue<String> outcome = new java.util.concurrent.LinkedBlockingQueue<>();
        NetModule module = (ProtoContext ctx) -> {
            try {
                org.protosw.spi.Registration r = ctx.pfil().addHook("probe-hook", Pfil.IN, 50,
                        (PfilHook) (Packet p, int dir, org.protosw.spi.IfNet ifp) -> PfilHook.PASS);
                outcome.add("added");
                return r;
            } catch (SecurityException e) {
                outcome.add(e.getMessage());
                return () -> { };
            }
        };
        var reg = bundleContext.registerService(NetModule.class, module, null);
        try {
            String first = outcome.poll(TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
            assertTrue(String.valueOf(first), first != null && first.contains("bundle " + probe) && first.contains("'pfil'"));
        } finally {
            reg.unregister();
        }
        grantProbe("pfil");
        // the grant applies asynchronously: re-register until the hook is added
        waitFor("the pfil right to apply", TIMEOUT, () -> {
            outcome.clear();
            var r = bundleContext.registerService(NetModule.class, module, null);
            try {
                String o = outcome.poll(TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
                return "added".equals(o);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } finally {
                r.unregister();
            }
        });
    }
}
