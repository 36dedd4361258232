package org.protosw.inetd.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.net.Netns;
import org.protosw.internal.net.Tun;
import org.protosw.internal.net.TunHost;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.spi.IfAddr;

/**
 * UDP between the stack's inetd and Linux, both ways, through a TUN device in a network
 * namespace made for each test: the stack is 192.0.2.1, the kernel's side 192.0.2.2. The
 * Linux side is a python3 program run in the namespace.
 */
class UdpLinuxPeerTest {
    private Netns ns;
    private UdpStack s;

    @BeforeEach
    void setUp() throws Exception {
        ns = Netns.create();
        ns.exec("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
        s = new UdpStack();
        Vnet v = s.stack.stack();
        Tun tun = ns.inside(() -> Tun.open("tun0", 9000));
        v.attachInterface(tun);
        v.addAddress(tun, new IfAddr(InAddr.parse("192.0.2.1"), 24, null));
        ns.inside(() -> {
            TunHost.configure("tun0", 9000, InAddr.parse("192.0.2.2"), 24);
            return null;
        });
    }

    @AfterEach
    void tearDown() {
        try {
            if (s != null) {
                s.close();
            }
        } finally {
            if (ns != null) {
                ns.close();
            }
        }
    }

    @Test
    void linuxGetsEveryDatagramBackFromUdpEchoIntact() {
        s.inetd.run(System.out, "start", "echo", "udp");
        // sizes up to 20000 bytes: beyond the 9000 MTU both sides fragment and reassemble
        String py = """
                import socket,os
                s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(3)
                sizes=[1,100,1400,1472,3000,8972,20000]
                for i in range(35):
                    d=os.urandom(sizes[i%len(sizes)])
                    s.sendto(d,('192.0.2.1',7))
                    try:
                        r,a=s.recvfrom(65535)
                    except socket.timeout:
                        raise SystemExit('no echo for datagram %d (%d bytes)'%(i,len(d)))
                    assert r==d, 'datagram %d came back different (%d bytes)'%(i,len(r))
                    assert a==('192.0.2.1',7), a
                print('echoed 35')
                """;
        Netns.Result r = ns.exec("python3", "-c", py);
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains("echoed 35");
        InetService echo = s.inetd.inetd().list().get(0);
        assertThat(echo.stats().sessions.sum()).isEqualTo(35);
    }

    @Test
    void anApplicationOnTheStackSendsToLinuxAndTheDigestsMatch() throws Exception {
        String py = """
                import socket,hashlib
                s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(5); s.bind(('192.0.2.2',6000))
                s.sendto(b'hello',('192.0.2.1',5000))
                h=hashlib.sha256()
                for i in range(20):
                    r,a=s.recvfrom(65535); h.update(r)
                print(h.hexdigest())
                """;
        Random rnd = new Random(4);
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        CompletableFuture<String> stackSide = CompletableFuture.supplyAsync(() -> {
            try (Socket so = s.stack.stack().socket(AF_INET, SOCK_DGRAM, 0)) {
                so.setOption(SockOpt.SO_RCVTIMEO, 20_000);
                so.setOption(SockOpt.SO_SNDBUF, 65536);
                so.bind(InetSockAddr.of("192.0.2.1", 5000));
                ByteBuffer rx = ByteBuffer.allocate(100);
                RecvInfo hello = so.recvfrom(rx, 0);
                for (int i = 0; i < 20; i++) {
                    byte[] d = new byte[i % 4 == 3 ? 12000 : 1 + rnd.nextInt(1400)];
                    rnd.nextBytes(d);
                    sent.update(d);
                    so.sendto(ByteBuffer.wrap(d), 0, hello.from());
                    // one at a time into the kernel's socket buffer: no datagram is dropped for room
                    Thread.sleep(5);
                }
                return new String(rx.array(), 0, hello.length());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Netns.Result r = ns.exec("python3", "-c", py);
        assertThat(stackSide.join()).isEqualTo("hello");
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output().strip()).isEqualTo(HexFormat.of().formatHex(sent.digest()));
    }

    @Test
    void linuxGetsChargenLinesAndItsDiscardedBytesAreCounted() {
        s.inetd.run(System.out, "start", "chargen", "udp");
        s.inetd.run(System.out, "start", "discard", "udp");
        String py = """
                import socket
                s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(3)
                s.sendto(b'x',('192.0.2.1',19))
                r,a=s.recvfrom(65535)
                print(len(r), r[:4], r[72:74])
                for i in range(10):
                    s.sendto(b'y'*1000,('192.0.2.1',9))
                """;
        Netns.Result r = ns.exec("python3", "-c", py);
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output().strip()).isEqualTo("444 b' !\"#' b'\\r\\n'");
        InetService discard = s.inetd.inetd().list().stream().filter(x -> x.kind() == ServiceKind.DISCARD).findFirst().orElseThrow();
        for (int i = 0; i < 300 && discard.stats().bytesIn.sum() < 10_000; i++) {
            sleep(10);
        }
        assertThat(discard.stats().bytesIn.sum()).isEqualTo(10_000);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
