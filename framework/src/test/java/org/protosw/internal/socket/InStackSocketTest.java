package org.protosw.internal.socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.internal.socket.TestDomain.AF_TDOM;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;
import static org.protosw.socket.SocketConstants.SOCK_SEQPACKET;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.protosw.internal.socket.TestDomain.TAddr;
import org.protosw.internal.sw.ProtoSwInfo;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.spi.KernSocket;

/**
 * In-stack sockets (FreeBSD's in-kernel socreate with so_upcall): a protocol runs on another
 * one without a thread, the core learns the dependency from it, and unloading or draining
 * the lower protocol aborts the upper one's sockets first; the upper one works again when
 * the lower one is back, without being reloaded.
 */
class InStackSocketTest {
    private final Upper t = new Upper();

    @AfterEach
    void tearDown() {
        t.close();
    }

    private static Thread reader(Socket s, AtomicReference<Throwable> got) {
        return Thread.ofVirtual().start(() -> {
            try {
                s.recv(ByteBuffer.allocate(16));
                got.set(new AssertionError("recv returned"));
            } catch (Throwable e) {
                got.set(e);
            }
        });
    }

    @Test
    void recordsTravelThroughTheLowerSocketByUpcallsAndTheCoreLearnsTheDependency() throws Exception {
        Socket[] p = t.pair();
        p[0].send(Errnos.buf("hello"));
        ByteBuffer in = ByteBuffer.allocate(64);
        RecvInfo ri = p[1].recvfrom(in, 0);
        assertThat(Errnos.str(in.flip(), ri.length())).isEqualTo("hello");
        assertThat(ri.flags() & SocketConstants.MSG_EOR).isNotZero();
        assertThat(ri.from()).isEqualTo(p[0].localAddress());

        TestUpperProto.Proto up = t.upper.instance("default");
        assertThat(up.readableUpcalls.get()).isPositive();
        assertThat(up.upcallThreads).as("the sender's thread delivered, no thread of the upper protocol")
                .allSatisfy(n -> assertThat(n).doesNotContain("tseq"));
        assertThat(t.net.registry.uses("tseq")).containsExactly("tudp");
        assertThat(t.net.registry.list()).filteredOn(i -> i.name().equals("tseq")).extracting(ProtoSwInfo::uses)
                .containsExactly(List.of("tudp"));
        // netstat's view: the lower socket is a tudp socket owned by tseq
        assertThat(t.net.layer.sockets()).filteredOn(s -> "tseq".equals(s.owner()))
                .singleElement().satisfies(s -> {
                    assertThat(s.protocol()).isEqualTo("tudp");
                    assertThat(s.local()).isEqualTo(up.currentLower().localAddress());
                });
        p[0].close();
        p[1].close();
    }

    @Test
    void aProtocolCannotOpenASocketOfItselfAndAnInStackSocketNeverBlocks() throws Exception {
        TestUpperProto.Proto up = t.upper.instance("default");
        assertThat(ErrnoOf.of(() -> up.ctx.socreate(AF_TDOM, SOCK_SEQPACKET, 0, null))).isEqualTo(Errno.EINVAL);
        KernSocket k = up.ctx.socreate(AF_INET, SOCK_DGRAM, 0, null);
        k.bind(new InetSockAddr(InAddr.LOOPBACK, 0));
        assertThat(ErrnoOf.of(() -> k.recv(ByteBuffer.allocate(8), 0))).isEqualTo(Errno.EAGAIN);
        assertThat(ErrnoOf.of(() -> {
            k.setTunnel((pk, hlen) -> { });
            return null;
        })).as("the test datagram protocol has no tunnelling").isEqualTo(Errno.EOPNOTSUPP);
        k.close();
        assertThat(ErrnoOf.of(() -> k.recv(ByteBuffer.allocate(8), 0))).isEqualTo(Errno.EBADF);
    }

    @Test
    void unloadingTheLowerProtocolAbortsTheUpperSocketsFirstAndTheUpperComesBackLazily() throws Exception {
        Socket[] p = t.pair();
        Socket lowerApp = t.net.layer.socket(AF_INET, SOCK_DGRAM, 0);
        lowerApp.bind(new InetSockAddr(InAddr.LOOPBACK, 7));
        AtomicReference<Throwable> upperGot = new AtomicReference<>();
        AtomicReference<Throwable> lowerGot = new AtomicReference<>();
        Thread r1 = reader(p[1], upperGot);
        Thread r2 = reader(lowerApp, lowerGot);
        Upper.awaitParked(r1);
        Upper.awaitParked(r2);

        t.unloadLower();
        r1.join();
        r2.join();
        assertThat(upperGot.get()).isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ECONNABORTED));
        assertThat(lowerGot.get()).isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ECONNABORTED));
        assertThat(t.upper.aborts).hasSize(2);
        assertThat(t.lowerAborts).hasSize(2); // the in-stack socket and the application's
        assertThat(java.util.Collections.max(t.upper.aborts)).isLessThan(java.util.Collections.min(t.lowerAborts));
        TestUpperProto.Proto up = t.upper.instance("default");
        assertThat(up.lowerAborted.get()).isEqualTo(1);
        assertThat(ErrnoOf.of(() -> t.pair())).as("no lower protocol: no connection").isEqualTo(Errno.EPROTONOSUPPORT);

        // the lower protocol comes back: the same upper protocol instance reopens its socket
        t.loadLower();
        Socket[] q = t.pair();
        q[0].send(Errnos.buf("again"));
        ByteBuffer in = ByteBuffer.allocate(16);
        int n = q[1].recv(in);
        assertThat(Errnos.str(in.flip(), n)).isEqualTo("again");
        assertThat(t.upper.instance("default")).isSameAs(up);
        assertThat(up.opens.get()).isEqualTo(2);
        for (Socket s : new Socket[] {p[0], p[1], lowerApp, q[0], q[1]}) {
            s.close();
        }
    }

    @Test
    void drainingTheLowerProtocolAbortsTheUpperOnesWhileItsOwnSocketsKeepWorking() throws Exception {
        Socket[] p = t.pair();
        Socket lowerApp = t.net.layer.socket(AF_INET, SOCK_DGRAM, 0);
        lowerApp.bind(new InetSockAddr(InAddr.LOOPBACK, 7));
        KernSocket k = t.upper.instance("default").currentLower();

        var drained = t.net.registry.drain("tudp");
        assertThat(ErrnoOf.of(() -> p[0].send(Errnos.buf("x")))).isEqualTo(Errno.ECONNABORTED);
        assertThat(k.isAborted()).isTrue();
        assertThat(drained).isNotDone();
        // the lower protocol's own socket goes on until it closes
        lowerApp.sendto(Errnos.buf("self"), 0, new InetSockAddr(InAddr.LOOPBACK, 7));
        ByteBuffer in = ByteBuffer.allocate(16);
        int n = lowerApp.recv(in);
        assertThat(Errnos.str(in.flip(), n)).isEqualTo("self");
        assertThat(ErrnoOf.of(() -> t.pair())).as("a draining lower protocol takes no new in-stack socket")
                .isEqualTo(Errno.EPROTONOSUPPORT);
        lowerApp.close();
        assertThat(drained).isDone();

        t.net.registry.undrain("tudp");
        Socket[] q = t.pair();
        q[0].send(Errnos.buf("back"));
        in.clear();
        n = q[1].recv(in);
        assertThat(Errnos.str(in.flip(), n)).isEqualTo("back");
        for (Socket s : new Socket[] {p[0], p[1], q[0], q[1]}) {
            s.close();
        }
    }

    @Test
    void unloadingTheUpperProtocolClosesItsInStackSockets() throws Exception {
        Socket[] p = t.pair();
        KernSocket k = t.upper.instance("default").currentLower();
        int port = ((InetSockAddr) k.localAddress()).port();
        t.net.registry.unregister(t.upper);
        assertThat(t.net.layer.sockets()).filteredOn(s -> s.owner() != null).isEmpty();
        // its port is free again
        try (Socket s = t.net.layer.socket(AF_INET, SOCK_DGRAM, 0)) {
            s.bind(new InetSockAddr(InAddr.LOOPBACK, port));
        }
        p[0].close();
        p[1].close();
    }

    @Test
    void removingAVnetTearsDownTheUpperProtocolBeforeTheLowerOne() throws Exception {
        // every registered protocol (and the domain) joins the new vnet
        TestNet other = new TestNet(t.net.registry, "other");
        Socket a = other.layer.socket(AF_TDOM, SOCK_SEQPACKET, 0);
        Socket b = other.layer.socket(AF_TDOM, SOCK_SEQPACKET, 0);
        a.bind(new TAddr(1));
        b.bind(new TAddr(2));
        a.connect(new TAddr(2));
        b.connect(new TAddr(1));
        Socket lowerApp = other.layer.socket(AF_INET, SOCK_DGRAM, 0);
        lowerApp.bind(new InetSockAddr(InAddr.LOOPBACK, 9));
        other.close();
        assertThat(t.upper.aborts).hasSize(2);
        // the upper protocol left first and took its in-stack socket along (closed, not
        // aborted): the lower one aborted only the application's socket, and did so last
        assertThat(t.lowerAborts).hasSize(1);
        assertThat(java.util.Collections.max(t.upper.aborts)).isLessThan(java.util.Collections.min(t.lowerAborts));
        assertThat(ErrnoOf.of(() -> a.recv(ByteBuffer.allocate(4)))).isEqualTo(Errno.ECONNABORTED);
    }
}
