package org.protosw.udp.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.IPPROTO_UDP;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.protosw.internal.socket.SocketInfo;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;
import org.protosw.spi.IcmpError;
import org.protosw.spi.KernSocket;
import org.protosw.spi.NetModule;
import org.protosw.spi.Packet;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.SoUpcall;
import org.protosw.spi.TunnelInput;

/**
 * UDP's side of in-stack sockets ({@code udp_set_kernel_tunneling}), as a RoCEv2-like user
 * on port 4791 sees it: datagrams reach the tunnel on the input worker with their IP and UDP
 * headers, before and instead of the socket buffer; the port is reserved like any bind;
 * netstat names the owner; ICMP errors for the port reach the tunnel; the tunnel's own
 * sends leave from 4791; a tunnel that throws costs one datagram, counted.
 */
class UdpTunnelTest {
    private static final int PORT = 4791;
    private static final String OWNER = "org.example.roce (test)";

    private final Lab lab;
    private final Tunneler mod = new Tunneler();

    UdpTunnelTest() throws SocketException {
        lab = new Lab();
        lab.stack.core().addModule(mod, OWNER);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        lab.close();
    }

    record Got(byte[] datagram, int hlen, String thread) {
    }

    /** A module that opens an in-stack UDP socket on 4791 with a tunnel. */
    static final class Tunneler implements NetModule, SoUpcall, TunnelInput {
        final BlockingQueue<Got> got = new LinkedBlockingQueue<>();
        final BlockingQueue<IcmpError> errors = new LinkedBlockingQueue<>();
        final AtomicInteger aborted = new AtomicInteger();
        volatile boolean explode;
        volatile KernSocket so;
        volatile ProtoContext ctx;

        @Override
        public AutoCloseable attach(ProtoContext ctx) throws Exception {
            this.ctx = ctx;
            KernSocket k = ctx.socreate(AF_INET, SOCK_DGRAM, IPPROTO_UDP, this);
            k.bind(new InetSockAddr(InAddr.ANY, PORT));
            k.setTunnel(this);
            so = k;
            return k;
        }

        @Override
        public void input(Packet p, int hlen) {
            if (explode) {
                explode = false;
                throw new IllegalStateException("tunnel bug");
            }
            got.add(new Got(p.toByteArray(), hlen, Thread.currentThread().getName()));
        }

        @Override
        public void ctlinput(IcmpError error) {
            errors.add(error);
        }

        @Override
        public void aborted(KernSocket k) {
            aborted.incrementAndGet();
        }
    }

    private static void send(Socket s, String text, int port) throws SocketException {
        s.sendto(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)), 0, new InetSockAddr(InAddr.LOOPBACK, port));
    }

    @Test
    void theTunnelTakesEachDatagramWithItsHeadersOnTheInputPath() throws Exception {
        try (Socket app = Lab.udpSocket(lab.def())) {
            app.bind(new InetSockAddr(InAddr.LOOPBACK, 40000));
            send(app, "BTH and payload", PORT);
            Got g = mod.got.poll(10, TimeUnit.SECONDS);
            assertThat(g).isNotNull();
            byte[] d = g.datagram();
            int hlen = g.hlen();
            assertThat(hlen).isEqualTo(20);
            assertThat(d[9]).as("IP protocol").isEqualTo((byte) IPPROTO_UDP);
            assertThat(ByteBuffer.wrap(d, 12, 4).getInt()).isEqualTo(InAddr.LOOPBACK.bits());
            assertThat(ByteBuffer.wrap(d, hlen, 8).getShort() & 0xffff).as("source port").isEqualTo(40000);
            assertThat(ByteBuffer.wrap(d, hlen + 2, 2).getShort() & 0xffff).as("destination port").isEqualTo(PORT);
            assertThat(new String(d, hlen + 8, d.length - hlen - 8, StandardCharsets.US_ASCII)).isEqualTo("BTH and payload");
            // the input path: a worker, or this thread itself under lo0's direct dispatch
            String me = Thread.currentThread().getName();
            assertThat(g.thread()).satisfiesAnyOf(t -> assertThat(t).startsWith("netisr-"), t -> assertThat(t).isEqualTo(me));
            // nothing was queued to the socket buffer
            assertThatThrownBy(() -> mod.so.recv(ByteBuffer.allocate(64), 0))
                    .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EAGAIN));
            assertThat(lab.udpStat(lab.def(), "delivered to in-stack tunnels")).isEqualTo(1);
        }
    }

    @Test
    void thePortIsReservedAndNetstatNamesTheOwner() throws Exception {
        try (Socket app = Lab.udpSocket(lab.def())) {
            assertThatThrownBy(() -> app.bind(new InetSockAddr(InAddr.ANY, PORT)))
                    .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EADDRINUSE));
        }
        assertThat(lab.def().sockets().sockets()).filteredOn(s -> OWNER.equals(s.owner())).singleElement()
                .satisfies((SocketInfo s) -> {
                    assertThat(s.protocol()).isEqualTo("udp");
                    assertThat(s.local()).isEqualTo(new InetSockAddr(InAddr.ANY, PORT));
                });
    }

    @Test
    void theTunnelSendsFromItsPortAndHearsTheIcmpErrorsForIt() throws Exception {
        try (Socket app = Lab.udpSocket(lab.def())) {
            app.bind(new InetSockAddr(InAddr.LOOPBACK, 40001));
            Packet p = mod.ctx.allocate(5);
            System.arraycopy("reply".getBytes(StandardCharsets.US_ASCII), 0, p.array(), p.offset(), 5);
            mod.so.send(p, new InetSockAddr(InAddr.LOOPBACK, 40001), 0);
            ByteBuffer in = ByteBuffer.allocate(16);
            RecvInfo ri = app.recvfrom(in, 0);
            assertThat(new String(in.array(), 0, ri.length(), StandardCharsets.US_ASCII)).isEqualTo("reply");
            assertThat(((InetSockAddr) ri.from()).port()).isEqualTo(PORT);
        }
        // to a port nobody listens on: the port unreachable reaches the tunnel, not a socket error
        Packet p = mod.ctx.allocate(3);
        mod.so.send(p, new InetSockAddr(InAddr.LOOPBACK, 9), 0);
        IcmpError e = mod.errors.poll(10, TimeUnit.SECONDS);
        assertThat(e).isNotNull();
        assertThat(e.type()).isEqualTo(IcmpError.UNREACH);
        assertThat(e.code()).isEqualTo(IcmpError.UNREACH_PORT);
        int ihl = (e.inner().get8(0) & 0xf) << 2;
        assertThat(e.inner().get16(ihl)).as("quoted source port").isEqualTo(PORT);
        assertThat(e.inner().get16(ihl + 2)).as("quoted destination port").isEqualTo(9);
    }

    @Test
    void aTunnelThatThrowsCostsOneDatagramCountedAsAnInputError() throws Exception {
        try (Socket app = Lab.udpSocket(lab.def())) {
            mod.explode = true;
            send(app, "first", PORT);
            Lab.await("the failure counted", 10_000, () -> lab.udpStats(lab.def()).getOrDefault("dropped due to internal errors", 0L) == 1);
            send(app, "second", PORT);
            Got g = mod.got.poll(10, TimeUnit.SECONDS);
            assertThat(g).isNotNull();
            assertThat(new String(g.datagram(), g.hlen() + 8, 6, StandardCharsets.US_ASCII)).isEqualTo("second");
        }
    }

    @Test
    void unloadingUdpAbortsTheInStackSocketAndTellsItsOwner() throws Exception {
        KernSocket k = mod.so;
        lab.unloadUdp();
        assertThat(k.isAborted()).isTrue();
        assertThat(mod.aborted.get()).isEqualTo(1);
        assertThatThrownBy(() -> k.send(mod.ctx.allocate(1), new InetSockAddr(InAddr.LOOPBACK, 9), 0))
                .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ECONNABORTED));
        assertThatThrownBy(() -> mod.ctx.socreate(AF_INET, SOCK_DGRAM, 0, null))
                .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EPROTONOSUPPORT));
        lab.loadUdp();
        KernSocket again = mod.ctx.socreate(AF_INET, SOCK_DGRAM, 0, null);
        again.bind(new InetSockAddr(InAddr.ANY, PORT));
        again.close();
    }
}
