package org.protosw.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

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
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.spi.Pcb;
import org.protosw.spi.ProtoSw;
import org.protosw.spi.ProtoSwEntry;
import org.protosw.spi.Protocol;

/** The switch whiteboard validates entries as protosw_register does, and net:diag names the refusals. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class RegistrationIT extends ProtoswTestSupport {

    /** A switch that never gets a socket (it is refused before). */
    static final class Impostor implements ProtoSw {
        @Override
        public Protocol init(org.protosw.spi.ProtoContext ctx) {
            return so -> (Pcb) () -> {
            };
        }
    }

    @Test
    public void aDuplicateEntryIsRefusedWithEexistAndLogged() throws Exception {
        service(org.protosw.socket.NetStack.class, TIMEOUT);
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(ProtoSwEntry.DOMAIN, SocketConstants.AF_INET);
        props.put(ProtoSwEntry.TYPE, SocketConstants.SOCK_DGRAM);
        props.put(ProtoSwEntry.PROTOCOL, SocketConstants.IPPROTO_UDP);
        props.put(ProtoSwEntry.NAME, "udp-impostor");
        ServiceRegistration<ProtoSw> reg = bundleContext.registerService(ProtoSw.class, new Impostor(), props);
        try {
            GogoShell sh = new GogoShell(service(CommandProcessor.class, TIMEOUT));
            String diag = sh.run("net:diag");
            assertTrue(diag, diag.lines().anyMatch(l -> l.startsWith("refused (" + Errno.EEXIST.name() + ")") && l.contains("udp-impostor")));
            String log = Files.readString(logFile(), StandardCharsets.UTF_8);
            assertTrue("no log line names both bundles", log.lines().anyMatch(l -> l.contains("org.protosw.udp") && l.contains(bundleContext.getBundle().getSymbolicName())));
            // UDP itself is untouched
            org.protosw.socket.NetStack stack = service(org.protosw.socket.NetStack.class, TIMEOUT);
            stack.socket(SocketConstants.AF_INET, SocketConstants.SOCK_DGRAM, 0).close();
        } finally {
            reg.unregister();
        }
    }

    @Test
    public void anEntryWithoutItsMandatoryPropertiesIsRefusedWithAMessage() throws Exception {
        service(org.protosw.socket.NetStack.class, TIMEOUT);
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(ProtoSwEntry.NAME, "halfdone");
        ServiceRegistration<ProtoSw> reg = bundleContext.registerService(ProtoSw.class, new Impostor(), props);
        try {
            GogoShell sh = new GogoShell(service(CommandProcessor.class, TIMEOUT));
            String diag = sh.run("net:diag");
            assertTrue(diag, diag.lines().anyMatch(l -> l.startsWith("refused (") && l.contains(ProtoSwEntry.DOMAIN)));
            try {
                service(org.protosw.socket.NetStack.class, TIMEOUT).socket(SocketConstants.AF_INET, SocketConstants.SOCK_SEQPACKET, 0);
            } catch (SocketException e) {
                assertEquals(Errno.ESOCKTNOSUPPORT, e.errno());
            }
        } finally {
            reg.unregister();
        }
        assertTrue(new GogoShell(service(CommandProcessor.class, TIMEOUT)).run("net:diag").contains("no problems found"));
    }
}
