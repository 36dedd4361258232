package org.protosw.itest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.NetStack;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;

/** UDP echo through the real bundles: over lo0, and across an epair between two vnets made with the shell. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class UdpEchoIT extends ProtoswTestSupport {

    private NetStack stack(String vnet) {
        return service(NetStack.class, "(" + NetStack.VNET_PROPERTY + "=" + vnet + ")", TIMEOUT);
    }

    private GogoShell shell() {
        return new GogoShell(service(CommandProcessor.class, TIMEOUT));
    }

    @Test
    public void echoOverLoopback() throws Exception {
        NetStack stack = stack(NetStack.DEFAULT_VNET);
        echo(stack, "127.0.0.1", stack, "127.0.0.1", 500, 1400);
    }

    @Test
    public void echoAcrossAnEpairBetweenTwoVnets() throws Exception {
        GogoShell sh = shell();
        sh.run("net:vnet create far");
        try {
            String a = sh.run("net:ifconfig epair create").trim();
            assertTrue("epair name: " + a, a.matches("epair\\d+a"));
            String b = a.substring(0, a.length() - 1) + "b";
            sh.run("net:ifconfig " + b + " vnet far");
            sh.run("net:ifconfig " + a + " inet 192.0.2.1/24 up");
            sh.run("net:ifconfig -j far " + b + " inet 192.0.2.2/24 up");
            String listing = sh.run("net:ifconfig -j far");
            assertTrue(listing, listing.contains("inet 192.0.2.2 netmask 0xffffff00"));
            // 4000-byte datagrams cross the 1500-byte MTU in fragments both ways
            echo(stack(NetStack.DEFAULT_VNET), "192.0.2.1", stack("far"), "192.0.2.2", 200, 4000);
            String netstat = sh.run("net:netstat -i");
            assertTrue(netstat, netstat.contains(a));
        } finally {
            sh.run("net:vnet destroy far");
        }
    }

    @Test
    public void pingAndTheSwitchTableFromTheShell() throws Exception {
        GogoShell sh = shell();
        String ping = sh.run("net:ping -c 3 -i 0.05 127.0.0.1");
        assertTrue(ping, ping.contains("3 packets transmitted, 3 packets received, 0.0% packet loss"));
        String table = sh.run("net:protocols");
        long udpBundle = requireBundle("org.protosw.udp").getBundleId();
        assertTrue(table, table.lines().anyMatch(l -> l.contains(" udp ") && l.contains("org.protosw.udp") && l.contains(" " + udpBundle + " ") && l.contains("active")));
    }

    /** Sends {@code count} datagrams of random sizes up to {@code max} to an echo server and checks each reply byte for byte. */
    static void echo(NetStack clientStack, String clientAddr, NetStack serverStack, String serverAddr, int count, int max) throws Exception {
        try (Socket server = serverStack.socket(AF_INET, SOCK_DGRAM, 0); Socket client = clientStack.socket(AF_INET, SOCK_DGRAM, 0)) {
            server.bind(InetSockAddr.of(serverAddr, 0));
            client.bind(InetSockAddr.of(clientAddr, 0));
            client.setOption(SockOpt.SO_RCVTIMEO, 5000);
            AtomicReference<Throwable> serverFailure = new AtomicReference<>();
            Thread echo = new Thread(() -> {
                ByteBuffer b = ByteBuffer.allocate(65536);
                try {
                    for (int i = 0; i < count; i++) {
                        b.clear();
                        RecvInfo from = server.recvfrom(b, 0);
                        b.flip();
                        server.sendto(b, 0, from.from());
                    }
                } catch (Throwable t) {
                    serverFailure.set(t);
                }
            }, "udp-echo-server");
            echo.start();
            Random rnd = new Random(7);
            MessageDigest sent = MessageDigest.getInstance("SHA-256");
            MessageDigest got = MessageDigest.getInstance("SHA-256");
            ByteBuffer rx = ByteBuffer.allocate(65536);
            for (int i = 0; i < count; i++) {
                byte[] payload = new byte[1 + rnd.nextInt(max)];
                rnd.nextBytes(payload);
                sent.update(payload);
                client.sendto(ByteBuffer.wrap(payload), 0, server.localAddress());
                rx.clear();
                RecvInfo info = client.recvfrom(rx, 0);
                assertEquals(server.localAddress(), info.from());
                byte[] back = new byte[info.length()];
                rx.flip();
                rx.get(back);
                assertArrayEquals("datagram " + i, payload, back);
                got.update(back);
            }
            echo.join(10_000);
            if (serverFailure.get() != null) {
                throw new AssertionError("echo server failed", serverFailure.get());
            }
            assertArrayEquals(sent.digest(), got.digest());
        }
    }
}
