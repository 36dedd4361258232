package org.protosw.itest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;

import java.nio.ByteBuffer;
import java.util.Arrays;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.NetStack;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;

/** The inetd bundle from deploy/: its shell command, a UDP service, and its stop closing every socket. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class InetdIT extends ProtoswTestSupport {

    private GogoShell shell() {
        return new GogoShell(service(CommandProcessor.class, TIMEOUT));
    }

    private NetStack stack() {
        return service(NetStack.class, "(" + NetStack.VNET_PROPERTY + "=" + NetStack.DEFAULT_VNET + ")", TIMEOUT);
    }

    @Test
    public void udpEchoStartedFromTheShellAnswersAndIsListed() throws Exception {
        GogoShell sh = shell();
        assertEquals("echo-udp-7007", sh.run("net:inetd start echo udp 7007").trim());
        try {
            try (Socket c = stack().socket(AF_INET, SOCK_DGRAM, 0)) {
                c.setOption(SockOpt.SO_RCVTIMEO, 5000);
                byte[] msg = "hello inetd".getBytes();
                c.sendto(ByteBuffer.wrap(msg), 0, InetSockAddr.of("127.0.0.1", 7007));
                ByteBuffer rx = ByteBuffer.allocate(100);
                RecvInfo info = c.recvfrom(rx, 0);
                assertArrayEquals(msg, Arrays.copyOf(rx.array(), info.length()));
            }
            String list = sh.run("net:inetd list");
            assertTrue(list, list.lines().anyMatch(l -> l.startsWith("echo-udp-7007 ") && l.contains(" udp ") && l.contains(" 7007 ")));
            String help = sh.run("help net:inetd");
            assertTrue(help, help.contains("inetd start echo|discard|chargen tcp|udp"));
        } finally {
            sh.run("net:inetd stop echo-udp-7007");
        }
        assertFalse(sh.run("net:inetd list").contains("echo-udp-7007"));
    }

    @Test
    public void stoppingTheBundleStopsItsServicesAndFreesTheirPorts() throws Exception {
        GogoShell sh = shell();
        sh.run("net:inetd start discard udp 7009");
        Bundle inetd = requireBundle("org.protosw.inetd");
        inetd.stop();
        try {
            try (Socket c = stack().socket(AF_INET, SOCK_DGRAM, 0)) {
                // the service's socket is closed: its port can be bound again
                c.bind(InetSockAddr.of("0.0.0.0", 7009));
            }
        } finally {
            inetd.start();
        }
        waitFor("net:inetd back", TIMEOUT, () -> {
            try {
                return shell().run("net:inetd list").startsWith("NAME");
            } catch (Exception e) {
                return false;
            }
        });
    }

    @Test
    public void theCoresClassesAreInAnUnnamedModuleWithNativeAccess() throws Exception {
        // the tun driver's downcalls need native access; bin/protosw grants it to ALL-UNNAMED,
        // which covers a bundle's classes (Felix loads them into unnamed modules)
        Module m = requireBundle("org.protosw.framework").loadClass("org.protosw.internal.net.Tun").getModule();
        assertFalse(m.isNamed());
        assertTrue(m.isNativeAccessEnabled());
    }
}
