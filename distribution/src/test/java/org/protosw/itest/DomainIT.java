package org.protosw.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Dictionary;
import java.util.Hashtable;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.ServiceRegistration;
import org.protosw.socket.Errno;
import org.protosw.socket.NetStack;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.SockAddr;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.spi.Domain;
import org.protosw.spi.Packet;
import org.protosw.spi.Pcb;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.ProtoSocket;
import org.protosw.spi.ProtoSw;
import org.protosw.spi.ProtoSwEntry;
import org.protosw.spi.Protocol;

/**
 * A domain registered by a bundle that is not protosw's (the test probe), in the running
 * distribution: its switch entry waits for it (net:diag says so), then serves sockets of
 * family 63 with the domain's addresses and name (not 27: the IB demo, deployed in the same
 * runtime, serves AF_IB there); a second domain for the family is
 * refused with EEXIST and logged; the domain leaving takes its entry back to waiting.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class DomainIT extends ProtoswTestSupport {
    static final int AF_LOOPD = 63;

    /** An address of the test domain: a mailbox number. */
    record Mbox(int n) implements SockAddr {
        @Override
        public int family() {
            return AF_LOOPD;
        }
    }

    static final class LoopDomain implements Domain {
        private final String name;

        LoopDomain(String name) {
            this.name = name;
        }

        @Override
        public int family() {
            return AF_LOOPD;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Class<? extends SockAddr> addressType() {
            return Mbox.class;
        }

        @Override
        public SockAddr parseAddress(String text) {
            if (!text.startsWith("mbox:")) {
                throw new IllegalArgumentException("not a mailbox: '" + text + "' (expected mbox:N)");
            }
            return new Mbox(Integer.parseInt(text.substring(5)));
        }

        @Override
        public String formatAddress(SockAddr addr) {
            return "mbox:" + ((Mbox) addr).n();
        }

        @Override
        public Object init(ProtoContext ctx) {
            return new java.util.concurrent.ConcurrentHashMap<Integer, ProtoSocket>();
        }
    }

    /** A SOCK_SEQPACKET protocol that delivers a record to the socket bound to its mailbox. */
    static final class LoopSw implements ProtoSw {
        @Override
        @SuppressWarnings("unchecked")
        public Protocol init(ProtoContext ctx) {
            java.util.Map<Integer, ProtoSocket> boxes = ctx.domainState(java.util.Map.class);
            return so -> new Pcb() {
                volatile int box;

                @Override
                public void bind(SockAddr addr) {
                    box = ((Mbox) addr).n();
                    boxes.put(box, so);
                    so.soisconnected();
                }

                @Override
                public void send(Packet data, SockAddr to, int flags) throws SocketException {
                    ProtoSocket dst = boxes.get(((Mbox) to).n());
                    if (dst == null) {
                        throw new SocketException(Errno.ECONNREFUSED, "no such mailbox");
                    }
                    dst.rcv().appendRecord(data, new Mbox(box), flags);
                    dst.sorwakeup();
                }

                @Override
                public SockAddr sockaddr() {
                    return new Mbox(box);
                }

                @Override
                public void detach() {
                    boxes.remove(box, so);
                }
            };
        }
    }

    private static Dictionary<String, Object> entry() {
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(ProtoSwEntry.DOMAIN, AF_LOOPD);
        props.put(ProtoSwEntry.TYPE, SocketConstants.SOCK_SEQPACKET);
        props.put(ProtoSwEntry.PROTOCOL, 1);
        props.put(ProtoSwEntry.NAME, "loopd");
        props.put(ProtoSwEntry.FLAGS, new String[] {ProtoSwEntry.PR_ATOMIC, ProtoSwEntry.PR_ADDR});
        return props;
    }

    @Test
    public void aBundlesDomainServesItsEntryByNameAddressAndState() throws Exception {
        NetStack stack = service(NetStack.class, TIMEOUT);
        GogoShell sh = new GogoShell(service(CommandProcessor.class, TIMEOUT));
        ServiceRegistration<ProtoSw> sw = bundleContext.registerService(ProtoSw.class, new LoopSw(), entry());
        ServiceRegistration<Domain> dom = null;
        ServiceRegistration<Domain> rival = null;
        try {
            String diag = sh.run("net:diag");
            assertTrue(diag, diag.lines().anyMatch(l -> l.startsWith("waiting: loopd") && l.contains("af" + AF_LOOPD)));

            dom = bundleContext.registerService(Domain.class, new LoopDomain("loopd"), null);
            waitFor("loopd to start", TIMEOUT, () -> {
                try {
                    return sh.run("net:protocols").contains("loopd");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            String table = sh.run("net:protocols");
            assertTrue(table, table.lines().anyMatch(l -> l.startsWith("loopd ") && l.contains("seqpacket")));
            String domains = sh.run("net:protocols domains");
            assertTrue(domains, domains.lines().anyMatch(l -> l.contains("loopd") && l.contains("Mbox")
                    && l.contains(bundleContext.getBundle().getSymbolicName())));

            SockAddr a = stack.parseAddress(AF_LOOPD, "mbox:1");
            SockAddr b = stack.parseAddress(AF_LOOPD, "mbox:2");
            try (Socket x = stack.socket(AF_LOOPD, SocketConstants.SOCK_SEQPACKET, 0);
                    Socket y = stack.socket(AF_LOOPD, SocketConstants.SOCK_SEQPACKET, 0)) {
                assertEquals(AF_LOOPD, x.domain());
                x.bind(a);
                y.bind(b);
                x.sendto(ByteBuffer.wrap("over the bundle's domain".getBytes(StandardCharsets.US_ASCII)), 0, b);
                ByteBuffer in = ByteBuffer.allocate(64);
                RecvInfo ri = y.recvfrom(in, 0);
                assertEquals("over the bundle's domain", new String(in.array(), 0, ri.length(), StandardCharsets.US_ASCII));
                assertEquals(a, ri.from());
                assertEquals(SocketConstants.MSG_EOR, ri.flags());
                String netstat = sh.run("net:netstat -a");
                assertTrue(netstat, netstat.contains("mbox:1"));
            }
            try {
                stack.parseAddress(AF_LOOPD, "box 3");
                throw new AssertionError("parsed a bad address");
            } catch (SocketException e) {
                assertEquals(Errno.EINVAL, e.errno());
                assertTrue(e.getMessage(), e.getMessage().contains("expected mbox:N"));
            }

            rival = bundleContext.registerService(Domain.class, new LoopDomain("rival"), null);
            String diag2 = sh.run("net:diag");
            assertTrue(diag2, diag2.lines().anyMatch(l -> l.startsWith("refused (" + Errno.EEXIST.name() + "): domain rival")));
            String log = Files.readString(logFile(), StandardCharsets.UTF_8);
            assertTrue("no log line names the family's holder", log.lines().anyMatch(l -> l.contains("domain rival")
                    && l.contains("already served by domain loopd")));
            rival.unregister();
            rival = null;

            dom.unregister();
            dom = null;
            String diag3 = sh.run("net:diag");
            assertTrue(diag3, diag3.lines().anyMatch(l -> l.startsWith("waiting: loopd")));
        } finally {
            if (rival != null) {
                rival.unregister();
            }
            if (dom != null) {
                dom.unregister();
            }
            sw.unregister();
        }
    }
}
