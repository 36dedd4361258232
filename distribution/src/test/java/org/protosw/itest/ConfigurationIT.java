package org.protosw.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.util.Dictionary;
import java.util.Hashtable;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.Bundle;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.protosw.socket.NetStack;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;

/** Tunables and vnets through Configuration Admin, and the shell's help. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class ConfigurationIT extends ProtoswTestSupport {

    private GogoShell shell() {
        return new GogoShell(service(CommandProcessor.class, TIMEOUT));
    }

    @Test
    public void aSysctlSetInTheShellIsSavedAndOutlivesAReloadOfItsProtocol() throws Exception {
        GogoShell sh = shell();
        service(NetStack.class, TIMEOUT);
        assertTrue(sh.run("net:sysctl net.inet.udp.recvspace=100000").contains("net.inet.udp.recvspace: 42080 -> 100000"));
        ConfigurationAdmin cm = service(ConfigurationAdmin.class, TIMEOUT);
        waitFor("the value in Configuration Admin", TIMEOUT, () -> {
            try {
                Configuration[] c = cm.listConfigurations("(service.pid=org.protosw.sysctl)");
                return c != null && "100000".equals(String.valueOf(c[0].getProperties().get("net.inet.udp.recvspace")));
            } catch (Exception e) {
                return false;
            }
        });
        Bundle udp = requireBundle("org.protosw.udp");
        udp.stop();
        udp.start();
        NetStack stack = service(NetStack.class, TIMEOUT);
        waitFor("UDP back with the saved recvspace", TIMEOUT, () -> {
            try (Socket so = stack.socket(AF_INET, SOCK_DGRAM, 0)) {
                return so.getOption(SockOpt.SO_RCVBUF) == 100000;
            } catch (Exception e) {
                return false;
            }
        });
        assertTrue(sh.run("net:sysctl net.inet.udp.recvspace").contains("net.inet.udp.recvspace: 100000"));
    }

    @Test
    public void aConfigurationChangeAppliesToTheRunningStack() throws Exception {
        GogoShell sh = shell();
        service(NetStack.class, TIMEOUT);
        ConfigurationAdmin cm = service(ConfigurationAdmin.class, TIMEOUT);
        Configuration c = cm.getConfiguration("org.protosw.sysctl", "?");
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("net.inet.ip.ttl", "33");
        c.update(props);
        waitFor("net.inet.ip.ttl to become 33", TIMEOUT, () -> {
            try {
                return sh.run("net:sysctl net.inet.ip.ttl").contains("net.inet.ip.ttl: 33");
            } catch (Exception e) {
                return false;
            }
        });
        String bad = sh.fail("net:sysctl net.inet.ip.ttl=999");
        assertTrue(bad, bad.contains("out of range") && bad.contains("1 to 255") || bad.contains("accepted"));
    }

    /**
     * TCP's default congestion control algorithm is the word sysctl net.inet.tcp.cc.algorithm,
     * per vnet as in FreeBSD: set in the shell it is saved and survives TCP's reload; an
     * unknown name is refused with the available ones; a configuration change applies live.
     */
    @Test
    public void theCongestionControlDefaultIsAWordSysctlSavedLikeTheOthers() throws Exception {
        GogoShell sh = shell();
        NetStack stack = service(NetStack.class, TIMEOUT);
        waitFor("TCP's sysctls", TIMEOUT, () -> {
            try {
                return sh.run("net:sysctl net.inet.tcp.cc.algorithm").equals("net.inet.tcp.cc.algorithm: cubic\n");
            } catch (Exception e) {
                return false;
            }
        });
        String bad = sh.fail("net:sysctl net.inet.tcp.cc.algorithm=bbr");
        assertEquals("sysctl: net.inet.tcp.cc.algorithm: no congestion control algorithm 'bbr' (available: cubic, newreno)", bad);
        assertEquals("net.inet.tcp.cc.algorithm: cubic -> newreno\n", sh.run("net:sysctl net.inet.tcp.cc.algorithm=newreno"));
        ConfigurationAdmin cm = service(ConfigurationAdmin.class, TIMEOUT);
        waitFor("the name in Configuration Admin", TIMEOUT, () -> {
            try {
                Configuration[] c = cm.listConfigurations("(service.pid=org.protosw.sysctl)");
                return c != null && "newreno".equals(String.valueOf(c[0].getProperties().get("net.inet.tcp.cc.algorithm")));
            } catch (Exception e) {
                return false;
            }
        });
        Bundle tcp = requireBundle("org.protosw.tcp");
        tcp.stop();
        tcp.start();
        waitFor("TCP back with newreno for new connections", TIMEOUT, () -> {
            try (Socket so = stack.socket(AF_INET, SOCK_STREAM, 0)) {
                return "newreno".equals(so.getOption(org.protosw.tcp.TcpSockOpts.TCP_CONGESTION));
            } catch (Exception e) {
                return false;
            }
        });
        Configuration c = cm.getConfiguration("org.protosw.sysctl", "?");
        Dictionary<String, Object> props = c.getProperties();
        props.put("net.inet.tcp.cc.algorithm", "cubic");
        c.update(props);
        waitFor("the configuration's cubic", TIMEOUT, () -> {
            try (Socket so = stack.socket(AF_INET, SOCK_STREAM, 0)) {
                return "cubic".equals(so.getOption(org.protosw.tcp.TcpSockOpts.TCP_CONGESTION));
            } catch (Exception e) {
                return false;
            }
        });
    }

    @Test
    public void aFactoryConfigurationMakesAVnetAndDeletingItRemovesIt() throws Exception {
        service(NetStack.class, TIMEOUT);
        ConfigurationAdmin cm = service(ConfigurationAdmin.class, TIMEOUT);
        Configuration c = cm.getFactoryConfiguration("org.protosw.vnet", "lab", "?");
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("name", "lab");
        c.update(props);
        NetStack lab = service(NetStack.class, "(" + NetStack.VNET_PROPERTY + "=lab)", TIMEOUT);
        assertEquals("lab", lab.name());
        try (Socket so = lab.socket(AF_INET, SOCK_DGRAM, 0)) {
            so.bind(org.protosw.socket.InetSockAddr.of("127.0.0.1", 0));
        }
        assertTrue(shell().run("net:vnet").contains("lab"));
        c.delete();
        waitFor("vnet lab to go", TIMEOUT,
                () -> java.util.Arrays.stream(safeRefs()).noneMatch(r -> "lab".equals(r.getProperty(NetStack.VNET_PROPERTY))));
    }

    private org.osgi.framework.ServiceReference<?>[] safeRefs() {
        try {
            org.osgi.framework.ServiceReference<?>[] r = bundleContext.getServiceReferences(NetStack.class.getName(), null);
            return r == null ? new org.osgi.framework.ServiceReference<?>[0] : r;
        } catch (Exception e) {
            return new org.osgi.framework.ServiceReference<?>[0];
        }
    }

    @Test
    public void helpDescribesTheNetCommands() throws Exception {
        GogoShell sh = shell();
        service(NetStack.class, TIMEOUT);
        String help = sh.run("help net:ifconfig");
        assertTrue(help, help.contains("ifconfig") && help.contains("mtu") && help.contains("epair create"));
        String ping = sh.run("help net:ping");
        assertTrue(ping, ping.contains("-c count") && ping.contains("-s size") && ping.contains("-i wait"));
    }
}
