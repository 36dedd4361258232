package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.protosw.tcp.internal.TcpTestbed.*;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.protosw.internal.sw.UpgradeRecord;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;
import org.protosw.tcp.TcpInfo;
import org.protosw.tcp.TcpSockOpts;

/**
 * Live upgrades of the real TCP between two stack instances: connections carrying data both
 * ways, listeners, a half-open handshake in the SYN cache, connections that outlived their
 * sockets (TIME_WAIT, and FIN_WAIT_1 with bytes still to send) and the congestion and RTT
 * state of an idle connection all go on in the next revision; the peer sees a pause, never a
 * reset. Only vnet a's TCP is ever frozen in the lab's sense, but both instances are: the
 * revision is the protocol's, for every vnet.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TcpUpgradeTest {
    private TcpTestbed tb;

    @BeforeEach
    void setUp() throws Exception {
        tb = new TcpTestbed();
    }

    @AfterEach
    void tearDown() {
        tb.close();
    }

    private long resetsSent() {
        return tb.tcp(tb.a).stats().sndrst.sum() + tb.tcp(tb.b).stats().sndrst.sum();
    }

    private UpgradeRecord lastUpgrade() {
        return tb.stack.core().registry().entry("tcp").lastUpgrade();
    }

    private static Socket connect(TcpTestbed tb, Socket listener, int port) throws Exception {
        Socket c = tcpSocket(tb.b);
        c.connect(new InetSockAddr(A, port));
        return c;
    }

    @Test
    void streamsBothWaysArriveIntactAcrossThreeUpgrades() throws Exception {
        Socket l = listener(tb.a, A, 5001, 16);
        List<Socket> clients = new ArrayList<>();
        List<Socket> servers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            clients.add(connect(tb, l, 5001));
            servers.add(l.accept());
        }
        long size = 6L << 20;
        List<Future<StreamDigest>> reads = new ArrayList<>();
        List<Future<StreamDigest>> sends = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Socket c = clients.get(i);
            Socket s = servers.get(i);
            long seedUp = 100 + i;
            long seedDown = 200 + i;
            sends.add(tb.async(() -> {
                StreamDigest d = sendStream(c, size, seedUp, 16 * 1024);
                c.shutdown(org.protosw.socket.SocketConstants.SHUT_WR);
                return d;
            }));
            sends.add(tb.async(() -> {
                StreamDigest d = sendStream(s, size, seedDown, 16 * 1024);
                s.shutdown(org.protosw.socket.SocketConstants.SHUT_WR);
                return d;
            }));
            reads.add(tb.async(() -> readStream(s)));
            reads.add(tb.async(() -> readStream(c)));
        }
        long resets = resetsSent();
        for (int round = 0; round < 3; round++) {
            Thread.sleep(150);
            tb.upgrade();
            UpgradeRecord rec = lastUpgrade();
            assertThat(rec.failed()).as("upgrade %d: %s", round, rec).isFalse();
            assertThat(rec.sockets()).as("listener, 4 accepted and 4 connecting sockets").isEqualTo(9);
        }
        for (int i = 0; i < 4; i++) {
            assertThat(reads.get(2 * i).get(60, TimeUnit.SECONDS)).as("a received from b, connection %d", i)
                    .isEqualTo(expectedStream(size, 100 + i));
            assertThat(reads.get(2 * i + 1).get(60, TimeUnit.SECONDS)).as("b received from a, connection %d", i)
                    .isEqualTo(expectedStream(size, 200 + i));
            sends.get(2 * i).get(10, TimeUnit.SECONDS);
            sends.get(2 * i + 1).get(10, TimeUnit.SECONDS);
        }
        assertThat(resetsSent()).as("no reset from either side").isEqualTo(resets);
        // the listener still accepts, in the third revision
        Socket late = connect(tb, l, 5001);
        Socket lateServer = l.accept();
        late.send(ByteBuffer.wrap(new byte[] {42}));
        ByteBuffer one = ByteBuffer.allocate(1);
        assertThat(lateServer.recv(one)).isEqualTo(1);
        assertThat(one.get(0)).isEqualTo((byte) 42);
    }

    @Test
    void anIdleConnectionKeepsItsSequenceRttWindowAndAlgorithm() throws Exception {
        Socket l = listener(tb.a, A, 5002, 4);
        Socket c = connect(tb, l, 5002);
        Socket s = l.accept();
        s.setOption(TcpSockOpts.TCP_CONGESTION, "newreno");
        s.setOption(TcpSockOpts.TCP_NODELAY, true);
        s.setOption(TcpSockOpts.TCP_KEEPIDLE, 77);
        exchange(s, c, 256 * 1024, 3);
        assertThat(eventually(5000, () -> info(s).cwnd() > 0 && info(s).rtt() > 0)).isTrue();
        TcpInfo before = info(s);
        tb.upgrade();
        TcpInfo after = info(s);
        assertThat(after.congestionControl()).isEqualTo("newreno");
        assertThat(after.cwnd()).isEqualTo(before.cwnd());
        assertThat(after.ssthresh()).isEqualTo(before.ssthresh());
        assertThat(after.rtt()).isEqualTo(before.rtt());
        assertThat(after.rttvar()).isEqualTo(before.rttvar());
        assertThat(after.sndWscale()).isEqualTo(before.sndWscale());
        assertThat(after.rcvWscale()).isEqualTo(before.rcvWscale());
        assertThat(after.timestamps()).isEqualTo(before.timestamps());
        assertThat(after.sackPermitted()).isEqualTo(before.sackPermitted());
        assertThat(after.state()).isEqualTo("ESTABLISHED");
        assertThat(s.getOption(TcpSockOpts.TCP_NODELAY)).isTrue();
        assertThat(s.getOption(TcpSockOpts.TCP_KEEPIDLE)).isEqualTo(77);
        // and it goes on: both ways, the bytes after the upgrade follow the bytes before
        exchange(c, s, 256 * 1024, 4);
        exchange(s, c, 256 * 1024, 5);
    }

    /** {@code n} random bytes from {@code from} to {@code to}, read as they are sent. */
    private void exchange(Socket from, Socket to, int n, long seed) throws Exception {
        Future<byte[]> read = tb.async(() -> readAll(to, n));
        sendAll(from, randomBytes(n, seed), 8192);
        assertThat(read.get(30, TimeUnit.SECONDS)).isEqualTo(randomBytes(n, seed));
    }

    private static TcpInfo info(Socket s) {
        try {
            return s.getOption(TcpSockOpts.TCP_INFO);
        } catch (SocketException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aHalfOpenHandshakeInTheSynCacheCompletesInTheNextRevision() throws Exception {
        tb.pipes("delay 150ms");
        Socket l = listener(tb.a, A, 5003, 4);
        Future<Socket> connecting = tb.async(() -> connect(tb, l, 5003));
        assertThat(eventually(5000, () -> tb.tcp(tb.a).synCache().size() == 1)).as("the SYN in a's SYN cache").isTrue();
        long resets = resetsSent();
        tb.upgrade();
        assertThat(lastUpgrade().failed()).isFalse();
        Socket c = connecting.get(10, TimeUnit.SECONDS);
        Socket s = l.accept();
        assertThat(tb.tcp(tb.a).stats().syncacheCompleted.sum()).as("completed from the carried entry").isEqualTo(1);
        exchange(c, s, 10_000, 6);
        assertThat(resetsSent()).isEqualTo(resets);
    }

    @Test
    void connectionsThatOutlivedTheirSocketsGoOnInTheNextRevision() throws Exception {
        Socket l = listener(tb.a, A, 5004, 4);
        // 1: a closes first and ends in TIME_WAIT, with no socket
        Socket c1 = tcpSocket(tb.a);
        Socket l1 = listener(tb.b, B, 6001, 4);
        c1.connect(new InetSockAddr(B, 6001));
        Socket p1 = l1.accept();
        c1.close();
        assertThat(readAll(p1, 10)).isEmpty();
        p1.close();
        assertThat(eventually(5000, () -> tb.tcp(tb.a).orphans().stream().anyMatch(o -> o.state().equals("TIME_WAIT"))))
                .isTrue();
        // 2: a closes with 1 MiB unsent behind b's closed window: FIN_WAIT_1 owing the bytes
        Socket c2 = tcpSocket(tb.a);
        c2.setOption(SockOpt.SO_SNDBUF, 2 << 20);
        Socket l2 = listener(tb.b, B, 6002, 4);
        c2.connect(new InetSockAddr(B, 6002));
        Socket p2 = l2.accept();
        byte[] owed = randomBytes(1 << 20, 7);
        sendAll(c2, owed, 64 * 1024);
        c2.close();
        assertThat(eventually(5000, () -> tb.tcp(tb.a).orphans().stream()
                .anyMatch(o -> o.state().equals("FIN_WAIT_1") && o.sendQ() > 0))).as("a FIN_WAIT_1 orphan owing bytes")
                .isTrue();
        long resets = resetsSent();

        tb.upgrade();

        assertThat(lastUpgrade().failed()).isFalse();
        assertThat(tb.tcp(tb.a).orphans()).extracting(o -> o.state()).contains("TIME_WAIT", "FIN_WAIT_1");
        // b reads everything the orphan owed, then its FIN
        assertThat(readAll(p2, 2 << 20)).isEqualTo(owed);
        assertThat(eventually(10_000, () -> tb.tcp(tb.a).orphans().stream()
                .noneMatch(o -> o.state().equals("FIN_WAIT_1")))).as("the orphan finished in the next revision").isTrue();
        assertThat(resetsSent()).isEqualTo(resets);
        // the TIME_WAIT entry still holds its four-tuple in the new table
        assertThat(tb.tcp(tb.a).table().list()).anyMatch(inp -> inp.fport() == 6001);
        l.close();
    }

    @Test
    void aRevisionThatRefusesTheSnapshotAbortsTheSocketsAndResetsThePeers() throws Exception {
        Socket l = listener(tb.a, A, 5005, 4);
        Socket c = connect(tb, l, 5005);
        Socket s = l.accept();
        tb.upgradeTo(new RefusingTcp());
        UpgradeRecord rec = tb.stack.core().registry().upgradeFailures().getLast();
        assertThat(rec.failure()).contains("this revision reads no TCP snapshot");
        assertThat(rec.sockets()).as("the listener, the accepted and the connecting socket").isEqualTo(3);
        // the revision is every vnet's: both ends were moved, and both are aborted
        for (Socket x : List.of(s, c, l)) {
            assertThatThrownBy(() -> x.recv(ByteBuffer.allocate(8))).isInstanceOfSatisfying(SocketException.class,
                    e -> assertThat(e.errno()).isEqualTo(Errno.ECONNABORTED));
        }
        // the refusing revision was then registered afresh: the stack serves new connections
        assertThat(tb.stack.core().registry().entry("tcp")).isNotNull();
        Socket l2 = listener(tb.a, A, 5006, 4);
        Socket c2 = connect(tb, l2, 5006);
        Socket s2 = l2.accept();
        exchange(c2, s2, 1000, 8);
    }

    /**
     * A peer the upgrading TCP does not serve (the test, on a capture link) learns at once that
     * its connection is gone when the upgrade fails after the export: the core sends the RSTs
     * the old revision prepared, one at SND.MAX and one at SND.UNA while data are in flight,
     * each acknowledging what the stack had received.
     */
    @Test
    void aFailedUpgradeResetsAPeerOutsideTheStackAtOnce() throws Exception {
        CaptureLink link = new CaptureLink("cap0", 1500);
        tb.a.attachInterface(link);
        int local = org.protosw.socket.InAddr.of(192, 0, 2, 1).bits();
        int peer = org.protosw.socket.InAddr.of(192, 0, 2, 2).bits();
        tb.a.addAddress(link, new org.protosw.spi.IfAddr(org.protosw.socket.InAddr.of(192, 0, 2, 1), 24,
                org.protosw.socket.InAddr.of(192, 0, 2, 255)));
        Socket l = listener(tb.a, org.protosw.socket.InAddr.of(192, 0, 2, 1), 5010, 4);
        link.inject(CaptureLink.segment(peer, 40000, local, 5010, 1000, 0, org.protosw.wire.TcpHeader.SYN, 65535, new byte[0]));
        CaptureLink.Out synAck = link.next(5000);
        assertThat(synAck).as("the SYN-ACK").isNotNull();
        int iss = synAck.seq();
        link.inject(CaptureLink.segment(peer, 40000, local, 5010, 1001, iss + 1, org.protosw.wire.TcpHeader.ACK, 65535, new byte[0]));
        Socket s = l.accept();
        // 100 bytes the peer never acknowledges, and 10 that it sends and the stack acknowledges
        s.send(ByteBuffer.wrap(new byte[100]));
        byte[] in = CaptureLink.segment(peer, 40000, local, 5010, 1001, iss + 1,
                org.protosw.wire.TcpHeader.ACK | org.protosw.wire.TcpHeader.PSH, 65535, new byte[0]);
        byte[] withData = java.util.Arrays.copyOf(in, in.length + 10);
        java.nio.ByteBuffer.wrap(withData).putShort(2, (short) withData.length);
        fixChecksums(withData, peer, local);
        link.inject(withData);
        assertThat(eventually(5000, () -> tb.tcp(tb.a).table().list().stream()
                .anyMatch(i -> i.owner() != null && i.owner().rcvNxt == 1011))).as("the 10 bytes received").isTrue();
        Thread.sleep(50);
        while (link.poll() != null) {
            // what the stack sent so far (its data, its ACK)
        }

        tb.upgradeTo(new RefusingTcp());
        assertThat(tb.stack.core().registry().upgradeFailures().getLast().failure()).contains("this revision reads no TCP snapshot");
        List<CaptureLink.Out> resets = new ArrayList<>();
        for (CaptureLink.Out o; (o = link.next(1000)) != null; ) {
            if (o.dport() == 40000 && (o.flags() & org.protosw.wire.TcpHeader.RST) != 0) {
                resets.add(o);
            }
        }
        assertThat(resets).as("RSTs to the peer").hasSize(2);
        assertThat(resets).allSatisfy(r -> {
            assertThat(r.ack()).as("acknowledging the 10 bytes").isEqualTo(1011);
            assertThat(r.flags()).isEqualTo(org.protosw.wire.TcpHeader.RST | org.protosw.wire.TcpHeader.ACK);
        });
        assertThat(resets.stream().map(CaptureLink.Out::seq).toList()).as("at SND.MAX and SND.UNA")
                .containsExactlyInAnyOrder(iss + 101, iss + 1);
        assertThatThrownBy(() -> s.recv(ByteBuffer.allocate(8))).isInstanceOfSatisfying(SocketException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.ECONNABORTED));
    }

    /** Sets the IP length's checksum and the TCP checksum of a packet made by CaptureLink.segment, then grown. */
    private static void fixChecksums(byte[] b, int src, int dst) {
        org.protosw.wire.Ipv4Header.write(b, 0, 0, b.length, 0, org.protosw.wire.Ipv4Header.FLAG_DF, 64, 6, src, dst);
        org.protosw.wire.TcpHeader th = new org.protosw.wire.TcpHeader(b, 20, b.length - 20);
        th.setChecksum(0);
        th.fillChecksum(src, dst);
    }

    /** A TCP whose import refuses every snapshot, as a build that cannot read version 1 would. */
    private static final class RefusingTcp implements org.protosw.spi.ProtoSw, org.protosw.spi.StateTransfer {
        private final TcpProtoSw tcp = new TcpProtoSw();

        @Override
        public org.protosw.spi.Protocol init(org.protosw.spi.ProtoContext ctx) throws SocketException {
            return tcp.init(ctx);
        }

        @Override
        public String snapshotFormat() {
            return TcpTransfer.FORMAT;
        }

        @Override
        public int snapshotVersion() {
            return 2;
        }

        @Override
        public org.protosw.spi.Snapshot exportPcb(org.protosw.spi.Protocol p, org.protosw.spi.Pcb pcb) throws SocketException {
            return tcp.exportPcb(p, pcb);
        }

        @Override
        public org.protosw.spi.Snapshot exportProtocol(org.protosw.spi.Protocol p) throws SocketException {
            return tcp.exportProtocol(p);
        }

        @Override
        public void importProtocol(org.protosw.spi.Protocol p, org.protosw.spi.Snapshot state) throws SocketException {
            throw new SocketException(Errno.EPROTONOSUPPORT, "this revision reads no TCP snapshot of version " + state.version());
        }

        @Override
        public org.protosw.spi.Pcb importPcb(org.protosw.spi.Protocol p, org.protosw.spi.ProtoSocket so,
                org.protosw.spi.Snapshot state) throws SocketException {
            return tcp.importPcb(p, so, state);
        }
    }
}
