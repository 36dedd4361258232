package org.protosw.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;

import java.nio.ByteBuffer;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.NetStack;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/** {@code net:protocols drain}: new sockets are refused, open ones keep working, and the drain ends with the last close. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class DrainIT extends ProtoswTestSupport {

    @Test
    public void aDrainingProtocolRefusesNewSocketsAndFinishesWithTheLastClose() throws Exception {
        NetStack stack = service(NetStack.class, "(" + NetStack.VNET_PROPERTY + "=" + NetStack.DEFAULT_VNET + ")", TIMEOUT);
        GogoShell sh = new GogoShell(service(CommandProcessor.class, TIMEOUT));
        Socket a = stack.socket(AF_INET, SOCK_DGRAM, 0);
        Socket b = stack.socket(AF_INET, SOCK_DGRAM, 0);
        a.bind(InetSockAddr.of("127.0.0.1", 0));
        b.connect(a.localAddress());

        String drained = sh.run("net:protocols drain udp");
        assertTrue(drained, drained.contains("udp: draining, 2 socket(s) remain"));
        try {
            stack.socket(AF_INET, SOCK_DGRAM, 0).close();
            fail("a new UDP socket was created while UDP drains");
        } catch (SocketException e) {
            assertEquals(Errno.EPROTONOSUPPORT, e.errno());
        }
        // the open ones keep working
        b.send(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        ByteBuffer got = ByteBuffer.allocate(10);
        a.setOption(org.protosw.socket.SockOpt.SO_RCVTIMEO, 5000);
        assertEquals(3, a.recv(got));

        String table = sh.run("net:protocols");
        assertTrue(table, table.lines().anyMatch(l -> l.contains(" udp ") && l.contains("draining") && l.matches(".*\\s2\\s.*")));
        assertTrue(sh.run("net:diag"), sh.run("net:diag").contains("draining: udp"));

        a.close();
        b.close();
        String after = sh.run("net:protocols");
        assertTrue(after, after.lines().anyMatch(l -> l.contains(" udp ") && l.contains("draining (drained)")));
        assertTrue(sh.run("net:diag"), sh.run("net:diag").contains("ready to unload"));

        sh.run("net:protocols undrain udp");
        stack.socket(AF_INET, SOCK_DGRAM, 0).close();
    }
}
