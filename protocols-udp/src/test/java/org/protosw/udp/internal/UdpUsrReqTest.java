package org.protosw.udp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.protosw.udp.internal.FakeContext.EM0_ADDR;
import static org.protosw.udp.internal.FakeContext.FAR;
import static org.protosw.udp.internal.FakeContext.PEER;
import static org.protosw.udp.internal.UdpOutputTest.assertErrno;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.SocketException;
import org.protosw.spi.Tunable;

class UdpUsrReqTest extends UdpTestbed {
    private static final InAddr NOT_OURS = InAddr.parse("203.0.113.5");

    @Test
    void tunablesAreRegisteredWithFreeBsdDefaults() {
        record Expect(String name, long def, long min, long max) {
        }
        for (Expect e : List.of(
                new Expect("net.inet.udp.checksum", 1, 0, 1),
                new Expect("net.inet.udp.maxdgram", 9216, 1, 65535),
                new Expect("net.inet.udp.recvspace", 42080, 1, 16 * 1024 * 1024),
                new Expect("net.inet.udp.blackhole", 0, 0, 2),
                new Expect("net.inet.udp.log_in_vain", 0, 0, 1))) {
            Tunable t = ctx.sysctl().find(e.name());
            assertThat(t).as(e.name()).isNotNull();
            assertThat(t.get()).as(e.name()).isEqualTo(e.def());
            assertThat(t.defaultValue()).isEqualTo(e.def());
            assertThat(t.min()).as(e.name()).isEqualTo(e.min());
            assertThat(t.max()).as(e.name()).isEqualTo(e.max());
            assertThat(t.description()).isNotBlank();
        }
    }

    @Test
    void attachReservesBuffersFromTheTunables() throws Exception {
        Sock s = open();
        assertThat(s.so().reservedSnd).isEqualTo(9216);
        assertThat(s.so().reservedRcv).isEqualTo(42080);
        tunable("net.inet.udp.maxdgram", 1500);
        tunable("net.inet.udp.recvspace", 100000);
        Sock t = open();
        assertThat(t.so().reservedSnd).isEqualTo(1500);
        assertThat(t.so().reservedRcv).isEqualTo(100000);
    }

    @Test
    void initRegistersInputAndDestroyUndoesEverything() throws Exception {
        assertThat(ctx.inputs).containsKey(17);
        udp.destroy();
        assertThat(ctx.inputs).isEmpty();
        assertThat(ctx.sysctls.list()).isEmpty();
        // A fresh instance can start again in the same stack.
        UdpProtocol again = (UdpProtocol) new UdpProtoSw().init(ctx);
        assertThat(ctx.inputs).containsKey(17);
        again.destroy();
    }

    @Test
    void aSecondInitInTheSameStackFailsAndLeavesTheFirstIntact() {
        assertThatThrownBy(() -> new UdpProtoSw().init(ctx)).isInstanceOf(SocketException.class)
                .extracting(e -> ((SocketException) e).errno()).isEqualTo(Errno.EEXIST);
        assertThat(ctx.inputs).containsKey(17);
        assertThat(ctx.sysctl().find("net.inet.udp.checksum")).isNotNull();
    }

    @Test
    void bindSpecificWildcardAndEphemeral() throws Exception {
        Sock a = bound(EM0_ADDR, 5000);
        assertThat(a.pcb().sockaddr()).isEqualTo(addr(EM0_ADDR, 5000));
        Sock b = bound(0, 5001);
        assertThat(b.pcb().sockaddr()).isEqualTo(addr(0, 5001));
        Sock c = bound(0, 0);
        InetSockAddr ephemeral = (InetSockAddr) c.pcb().sockaddr();
        assertThat(ephemeral.port()).isBetween(1024, 65535);
        assertThat(open().pcb().sockaddr()).as("unbound").isEqualTo(InetSockAddr.ANY);
    }

    @Test
    void bindErrnos() throws Exception {
        Sock a = bound(0, 5000);
        assertErrno(() -> a.pcb().bind(addr(0, 5002)), Errno.EINVAL);
        assertErrno(() -> open().pcb().bind(addr(0, 5000)), Errno.EADDRINUSE);
        assertErrno(() -> open().pcb().bind(new InetSockAddr(NOT_OURS, 5003)), Errno.EADDRNOTAVAIL);
        SockAddr foreign = () -> 44;
        assertErrno(() -> open().pcb().bind(foreign), Errno.EAFNOSUPPORT);
        assertErrno(() -> open().pcb().bind(null), Errno.EINVAL);
    }

    @Test
    void reuseOptionsComeFromTheSocket() throws Exception {
        Sock a = open();
        a.so().set(SockOpt.SO_REUSEPORT, true);
        a.pcb().bind(addr(0, 6000));
        Sock b = open();
        b.so().set(SockOpt.SO_REUSEPORT, true);
        b.pcb().bind(addr(0, 6000));
        Sock c = open();
        c.so().set(SockOpt.SO_REUSEADDR, true);
        c.pcb().bind(addr(EM0_ADDR, 6000));
        assertThat(c.pcb().sockaddr()).isEqualTo(addr(EM0_ADDR, 6000));
    }

    @Test
    void connectSetsPeerAndLocalAddressAndBindsImplicitly() throws Exception {
        Sock s = open();
        assertErrno(() -> s.pcb().peeraddr(), Errno.ENOTCONN);
        s.pcb().connect(addr(PEER, 53));
        assertThat(s.pcb().peeraddr()).isEqualTo(addr(PEER, 53));
        InetSockAddr local = (InetSockAddr) s.pcb().sockaddr();
        assertThat(local.addr().bits()).isEqualTo(EM0_ADDR);
        assertThat(local.port()).isNotZero();
        assertThat(s.so().connected).isTrue();
    }

    @Test
    void connectingAgainReplacesThePeer() throws Exception {
        Sock s = bound(0, 7000);
        s.pcb().connect(addr(PEER, 53));
        s.pcb().connect(addr(FAR, 123));
        assertThat(s.pcb().peeraddr()).isEqualTo(addr(FAR, 123));
        assertThat(((InetSockAddr) s.pcb().sockaddr()).port()).as("keeps its port").isEqualTo(7000);
        assertThat(s.so().connected).isTrue();
    }

    @Test
    void aFailedReconnectLeavesTheSocketUnconnected() throws Exception {
        Sock s = bound(0, 7000);
        s.pcb().connect(addr(PEER, 53));
        assertErrno(() -> s.pcb().connect(addr(PEER, 0)), Errno.EADDRNOTAVAIL);
        assertErrno(() -> s.pcb().peeraddr(), Errno.ENOTCONN);
        assertThat(s.so().connected).isFalse();
        assertThat(s.pcb().sockaddr()).isEqualTo(addr(0, 7000));
    }

    @Test
    void connectErrnos() throws Exception {
        SockAddr foreign = () -> 44;
        assertErrno(() -> open().pcb().connect(foreign), Errno.EAFNOSUPPORT);
        assertErrno(() -> open().pcb().connect(addr(0, 53)), Errno.EADDRNOTAVAIL);
        ctx.routes.clear();
        assertErrno(() -> open().pcb().connect(addr(FAR, 53)), Errno.ENETUNREACH);
    }

    @Test
    void disconnectDissolvesTheAssociation() throws Exception {
        Sock s = bound(0, 7000);
        assertErrno(() -> s.pcb().disconnect(), Errno.ENOTCONN);
        s.pcb().connect(addr(PEER, 53));
        s.pcb().disconnect();
        assertErrno(() -> s.pcb().peeraddr(), Errno.ENOTCONN);
        assertThat(s.pcb().sockaddr()).as("local address chosen by connect is forgotten").isEqualTo(addr(0, 7000));
        assertThat(s.so().connected).isFalse();
        assertThat(s.so().disconnectedCalls).isEqualTo(1);
        // Usable unconnected again.
        s.pcb().send(Datagrams.payload(new byte[] {1}), addr(FAR, 9), 0);
        assertThat(ctx.outputs).hasSize(1);
    }

    @Test
    void ipOptionsHaveDefaultsAndRangeChecks() throws Exception {
        UdpPcb pcb = open().pcb();
        assertThat(pcb.getOption(SockOpt.IP_TTL)).as("no net.inet.ip.ttl: RFC default").isEqualTo(64);
        ctx.sysctl().register("net.inet.ip.ttl", 32, 1, 255, "stack default TTL");
        assertThat(pcb.getOption(SockOpt.IP_TTL)).isEqualTo(32);
        assertThat(pcb.getOption(SockOpt.IP_TOS)).isZero();
        assertThat(pcb.getOption(SockOpt.IP_DONTFRAG)).isFalse();

        pcb.setOption(SockOpt.IP_TTL, 255);
        pcb.setOption(SockOpt.IP_TOS, 0x10);
        pcb.setOption(SockOpt.IP_DONTFRAG, true);
        assertThat(pcb.getOption(SockOpt.IP_TTL)).isEqualTo(255);
        assertThat(pcb.getOption(SockOpt.IP_TOS)).isEqualTo(0x10);
        assertThat(pcb.getOption(SockOpt.IP_DONTFRAG)).isTrue();

        assertErrno(() -> pcb.setOption(SockOpt.IP_TTL, 256), Errno.EINVAL);
        assertErrno(() -> pcb.setOption(SockOpt.IP_TTL, -1), Errno.EINVAL);
        assertErrno(() -> pcb.setOption(SockOpt.IP_TOS, 300), Errno.EINVAL);
        assertErrno(() -> pcb.setOption(SockOpt.IP_TTL, null), Errno.EINVAL);
        assertErrno(() -> pcb.setOption(SockOpt.IP_DONTFRAG, null), Errno.EINVAL);
        assertThat(pcb.getOption(SockOpt.IP_TTL)).as("unchanged by refused sets").isEqualTo(255);

        assertErrno(() -> pcb.setOption(SockOpt.SO_KEEPALIVE, true), Errno.ENOPROTOOPT);
        assertErrno(() -> pcb.getOption(SockOpt.IP_HDRINCL), Errno.ENOPROTOOPT);
        SockOpt<Integer> udpPrivate = SockOpt.of(17, 1, "UDP_ENCAP", Integer.class);
        assertErrno(() -> pcb.setOption(udpPrivate, 1), Errno.ENOPROTOOPT);
    }

    @Test
    void closeAndAbortRemoveTheSocketFromTheTable() throws Exception {
        Sock a = bound(0, 8000);
        Sock b = bound(0, 8001);
        FakePcbTable<?> table = ctx.tables.get(0);
        assertThat(table.list()).hasSize(2);
        a.pcb().close();
        b.pcb().abort();
        assertThat(table.list()).isEmpty();
        a.pcb().detach();
        b.pcb().detach();
        assertThat(table.list()).isEmpty();
        // The ports are free again.
        bound(0, 8000);
        bound(0, 8001);
    }

    @Test
    void detachAloneReleasesTheEntry() throws Exception {
        Sock a = bound(0, 8000);
        a.pcb().detach();
        assertThat(ctx.tables.get(0).list()).isEmpty();
    }

    @Test
    void udpHasNoStateAndNoStreamRequests() throws Exception {
        UdpPcb pcb = open().pcb();
        assertThat(pcb.state()).isEmpty();
        assertErrno(() -> pcb.listen(5), Errno.EOPNOTSUPP);
        assertErrno(pcb::accept, Errno.EOPNOTSUPP);
    }

    @Test
    void statisticsUseNetstatWordingAndOrder() {
        assertThat(udp.statistics().keySet()).containsExactly(
                "datagrams received",
                "with incomplete header",
                "with bad data length field",
                "with bad checksum",
                "with no checksum",
                "dropped due to no socket",
                "broadcast/multicast datagrams undelivered",
                "dropped due to full socket buffers",
                "delivered",
                "datagrams output");
        assertThat(udp.statistics().values()).containsOnly(0L);
    }

    @Test
    void requestsAfterCloseAnswerEbadfAndLeaveTheTableClean() throws Exception {
        Sock s = open();
        s.pcb().close();
        assertErrno(() -> s.pcb().send(Datagrams.payload(new byte[] {1}), addr(PEER, 9), 0), Errno.EBADF);
        assertErrno(() -> s.pcb().bind(addr(0, 9000)), Errno.EBADF);
        assertErrno(() -> s.pcb().connect(addr(PEER, 9)), Errno.EBADF);
        assertThat(ctx.tables.get(0).list()).isEmpty();
        assertThat(ctx.outputs).isEmpty();
    }

    @Test
    void requestsRacingAnAbortAnswerEconnaborted() throws Exception {
        Sock s = open();
        s.pcb().abort();
        // the socket layer reports ECONNABORTED after an abort; a request already past its
        // check (racing a protocol unload) must not answer as if the application had closed
        assertErrno(() -> s.pcb().send(Datagrams.payload(new byte[] {1}), addr(PEER, 9), 0), Errno.ECONNABORTED);
        assertErrno(() -> s.pcb().bind(addr(0, 9000)), Errno.ECONNABORTED);
        assertErrno(() -> s.pcb().connect(addr(PEER, 9)), Errno.ECONNABORTED);
        assertThat(ctx.tables.get(0).list()).isEmpty();
        assertThat(ctx.outputs).isEmpty();
    }

    @Test
    void concurrentFirstSendsBindOnce() throws Exception {
        Sock s = open();
        int threads = 4;
        int each = 200;
        List<Thread> workers = new java.util.ArrayList<>();
        java.util.concurrent.ConcurrentLinkedQueue<Throwable> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();
        java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
        for (int t = 0; t < threads; t++) {
            workers.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                    for (int i = 0; i < each; i++) {
                        s.pcb().send(Datagrams.payload(new byte[] {(byte) i}), addr(PEER, 9), 0);
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        start.countDown();
        for (Thread w : workers) {
            w.join(10_000);
        }
        assertThat(failures).isEmpty();
        assertThat(ctx.outputs).hasSize(threads * each);
        int lport = ((InetSockAddr) s.pcb().sockaddr()).port();
        assertThat(ctx.outputs).allSatisfy(o -> assertThat(Datagrams.get16(o.bytes(), 0)).isEqualTo(lport));
        assertThat(ctx.tables.get(0).list()).hasSize(1);
    }
}
