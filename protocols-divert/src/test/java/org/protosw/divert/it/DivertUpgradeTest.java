package org.protosw.divert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.protosw.divert.internal.DivertProtoSw;
import org.protosw.divert.internal.DivertRules;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.sw.UpgradeRecord;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.spi.Pcb;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.ProtoSocket;
import org.protosw.spi.ProtoSw;
import org.protosw.spi.Protocol;
import org.protosw.spi.Snapshot;
import org.protosw.spi.StateTransfer;
import org.protosw.wire.Ipv4Header;

/**
 * A live upgrade of divert (DivertTransfer): a bound divert socket keeps its port and the
 * packets queued on it, goes on receiving and writing back through the new revision, and the
 * counters (the instance's and the rules') continue; a revision that refuses the snapshot
 * aborts the sockets and divert serves again; wrong snapshots are refused with what was wrong.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DivertUpgradeTest {
    private static final int RULE = 100;
    private static final int PORT = 8668;

    private static Socket divert(Vnet v, int port) throws SocketException {
        Socket s = DivertLab.divertSocket(v, port);
        s.setOption(SockOpt.SO_RCVTIMEO, 5000);
        return s;
    }

    /** Sends datagrams {@code from..to-1} from a to b:9000 and waits until divert in b queued them all. */
    private static void sendDiverted(DivertLab lab, Socket tx, Vnet b, int from, int to) throws Exception {
        long before = lab.divertStat(b, "packets diverted inbound");
        for (int i = from; i < to; i++) {
            tx.sendto(ByteBuffer.wrap(Stream.datagram(i)), 0, InetSockAddr.of("10.0.0.2", 9000));
        }
        DivertLab.await((to - from) + " datagrams diverted", 5000,
                () -> lab.divertStat(b, "packets diverted inbound") >= before + (to - from));
    }

    /** Reads one diverted packet, checks it is datagram {@code seq} whole, and writes it back. */
    private static void readAndWriteBack(Socket ds, int seq) throws SocketException {
        ByteBuffer in = ByteBuffer.allocate(65535);
        RecvInfo ri = ds.recvfrom(in, 0);
        assertThat(ri.length()).as("packet %d: IP + UDP header + payload", seq).isEqualTo(20 + 8 + Stream.DATAGRAM);
        Ipv4Header ip = new Ipv4Header(in.array(), 0, ri.length());
        assertThat(ip.checksumValid()).as("packet %d header intact", seq).isTrue();
        assertThat(new InAddr(ip.src())).isEqualTo(InAddr.parse("10.0.0.1"));
        assertThat(new InAddr(ip.dst())).isEqualTo(InAddr.parse("10.0.0.2"));
        assertThat(Arrays.copyOfRange(in.array(), 28, ri.length())).as("payload of packet %d", seq).isEqualTo(Stream.datagram(seq));
        assertThat(ri.from()).as("receiving address, rule number").isEqualTo(InetSockAddr.of("10.0.0.2", RULE));
        in.flip();
        ds.sendto(in, 0, ri.from());
    }

    private static Map<String, Long> divertStats(DivertLab lab, Vnet v) {
        return new LinkedHashMap<>(DivertLab.stats(lab, "divert", v));
    }

    /**
     * Packets that pass a divert hook point while divert is between its revisions (the old one
     * exported and gone, the new one not registered) are held at the hook's place and diverted
     * by the new revision once it has its sockets: none passes the rule unfiltered, none is
     * dropped for want of a socket. Without the hold they reached the UDP socket directly.
     */
    @Test
    void packetsArrivingBetweenTheRevisionsAreDivertedByTheNewOneNeverPassedUnfiltered() throws Exception {
        try (DivertLab lab = new DivertLab()) {
            Vnet a = lab.vnet("a");
            Vnet b = lab.vnet("b");
            lab.link(a, "10.0.0.1", b, "10.0.0.2");
            lab.rule(b, RULE, "divert " + PORT + " udp from any to any 9000 in");
            Socket ds = divert(b, PORT);
            Socket rx = DivertLab.udp(b, "10.0.0.2", 9000);
            rx.setOption(SockOpt.SO_RCVTIMEO, 300);
            Socket tx = DivertLab.udp(a, "10.0.0.1", 0);

            // divert's hooks are in every vnet: a's outbound hook point holds them first (in
            // the sending thread), so the sends have been held once they return
            lab.upgradeDivert(DivertProtoSw::new, () -> {
                for (int i = 0; i < 5; i++) {
                    tx.sendto(ByteBuffer.wrap(Stream.datagram(i)), 0, InetSockAddr.of("10.0.0.2", 9000));
                }
            });

            UpgradeRecord rec = lab.stack.core().registry().entry("divert").lastUpgrade();
            assertThat(rec.failed()).as("upgrade failed: %s", rec.failure()).isFalse();
            assertThat(rec.held()).as("packets held at the hook during the upgrade").isGreaterThanOrEqualTo(5);
            // none reached the UDP socket behind the rule on its own
            assertThatThrownBy(() -> rx.recv(ByteBuffer.allocate(2048), 0)).isInstanceOfSatisfying(SocketException.class,
                    e -> assertThat(e.errno()).isEqualTo(Errno.EAGAIN));
            for (int i = 0; i < 5; i++) {
                readAndWriteBack(ds, i);
                assertThat(DivertLab.receive(rx)).as("datagram %d after its write-back", i).isEqualTo(Stream.datagram(i));
            }
            assertThat(divertStats(lab, b)).containsEntry("packets diverted inbound", 5L).containsEntry("dropped due to no socket", 0L);
            ds.close();
            rx.close();
            tx.close();
        }
    }

    @Test
    void queuedPacketsPortCountersAndSpaceSurviveTheUpgradeAndDivertingGoesOn() throws Exception {
        try (DivertLab lab = new DivertLab()) {
            Vnet a = lab.vnet("a");
            Vnet b = lab.vnet("b");
            lab.link(a, "10.0.0.1", b, "10.0.0.2");
            lab.rule(b, RULE, "divert " + PORT + " udp from any to any 9000 in");
            DivertLab.sysctl(b, "net.inet.divert.recvspace", 300_000);
            Socket ds = divert(b, PORT);
            Socket idle = b.socket(SocketConstants.AF_DIVERT, SocketConstants.SOCK_RAW, 0);
            Socket rx = DivertLab.udp(b, "10.0.0.2", 9000);
            Socket tx = DivertLab.udp(a, "10.0.0.1", 0);

            // one round trip before, so re-injection counters are not zero either
            sendDiverted(lab, tx, b, 0, 1);
            readAndWriteBack(ds, 0);
            assertThat(ByteBuffer.wrap(DivertLab.receive(rx)).getInt(0)).isEqualTo(0);
            // five packets queued on the divert socket, unread
            sendDiverted(lab, tx, b, 1, 6);
            Map<String, Long> before = divertStats(lab, b);
            assertThat(before).containsEntry("packets diverted inbound", 6L).containsEntry("packets reinjected inbound", 1L);
            assertThat(lab.rulePackets(b, RULE)).isEqualTo(6);
            long ruleBytes = lab.rules().counters("b", RULE)[1];
            DivertRules oldRules = lab.rules();

            lab.upgradeDivert(DivertProtoSw::new);

            UpgradeRecord rec = lab.stack.core().registry().entry("divert").lastUpgrade();
            assertThat(rec).isNotNull();
            assertThat(rec.failed()).as("upgrade failed: %s", rec.failure()).isFalse();
            assertThat(rec.sockets()).as("ds and idle").isEqualTo(2);
            assertThat(lab.rules()).as("a new rule set, as a bundle update makes").isNotSameAs(oldRules);
            assertThat(divertStats(lab, b)).as("the instance's counters came along").isEqualTo(before);
            assertThat(lab.rulePackets(b, RULE)).as("the rule's counters came along").isEqualTo(6);
            assertThat(lab.rules().counters("b", RULE)[1]).isEqualTo(ruleBytes);
            assertThat(b.sysctl().find("net.inet.divert.recvspace").get()).as("the tunable's value came along").isEqualTo(300_000);
            assertThat(ds.localAddress()).isEqualTo(new InetSockAddr(InAddr.ANY, PORT));

            // the queued packets are read whole, in order, and written back through the new revision
            for (int i = 1; i < 6; i++) {
                readAndWriteBack(ds, i);
                assertThat(DivertLab.receive(rx)).as("datagram %d delivered after the write-back", i).isEqualTo(Stream.datagram(i));
            }
            // new packets reach the same socket
            sendDiverted(lab, tx, b, 6, 11);
            for (int i = 6; i < 11; i++) {
                readAndWriteBack(ds, i);
                assertThat(DivertLab.receive(rx)).isEqualTo(Stream.datagram(i));
            }
            Map<String, Long> after = divertStats(lab, b);
            assertThat(after).as("counted on from where the old revision stopped")
                    .containsEntry("packets diverted inbound", 11L)
                    .containsEntry("packets reinjected inbound", 11L)
                    .containsEntry("dropped due to no socket", 0L);
            assertThat(lab.rulePackets(b, RULE)).isEqualTo(11);

            // the port is bound in the new revision's table; the unbound socket binds there
            Socket dup = b.socket(SocketConstants.AF_DIVERT, SocketConstants.SOCK_RAW, 0);
            assertThatThrownBy(() -> dup.bind(new InetSockAddr(InAddr.ANY, PORT))).isInstanceOfSatisfying(SocketException.class,
                    e -> assertThat(e.errno()).isEqualTo(Errno.EADDRINUSE));
            idle.bind(new InetSockAddr(InAddr.ANY, 0));
            assertThat(((InetSockAddr) idle.localAddress()).port()).isNotEqualTo(PORT).isNotZero();
            ds.close();
            dup.bind(new InetSockAddr(InAddr.ANY, PORT));
        }
    }

    @Test
    void aRevisionThatRefusesTheSnapshotAbortsTheSocketsAndTheStackGoesOn() throws Exception {
        try (DivertLab lab = new DivertLab()) {
            Vnet a = lab.vnet("a");
            Vnet b = lab.vnet("b");
            lab.link(a, "10.0.0.1", b, "10.0.0.2");
            lab.rule(b, RULE, "divert " + PORT + " udp from any to any 9000 in");
            Socket ds = divert(b, PORT);
            Socket rx = DivertLab.udp(b, "10.0.0.2", 9000);
            Socket tx = DivertLab.udp(a, "10.0.0.1", 0);
            Socket plain = DivertLab.udp(b, "10.0.0.2", 9001);
            AtomicReference<Errno> readerSaw = new AtomicReference<>();
            Thread reader = lab.spawn("blocked-reader", () -> {
                try {
                    ds.setOption(SockOpt.SO_RCVTIMEO, 0);
                    ds.recv(ByteBuffer.allocate(65535), 0);
                } catch (SocketException e) {
                    readerSaw.set(e.errno());
                }
            });
            DivertLab.await("the reader blocked", 5000, () -> reader.getState() == Thread.State.WAITING
                    || reader.getState() == Thread.State.TIMED_WAITING);

            lab.upgradeDivert(Refusing::new);

            reader.join(10_000);
            assertThat(readerSaw.get()).as("the blocked reader woke aborted").isEqualTo(Errno.ECONNABORTED);
            assertThatThrownBy(() -> ds.recv(ByteBuffer.allocate(8), 0)).isInstanceOfSatisfying(SocketException.class,
                    e -> assertThat(e.errno()).isEqualTo(Errno.ECONNABORTED));
            UpgradeRecord rec = lab.stack.core().registry().upgradeFailures().getLast();
            assertThat(rec.failure()).contains("this revision reads no divert snapshot of version 1");
            assertThat(rec.sockets()).isEqualTo(1);

            // the stack keeps running: UDP is untouched, and the refusing revision diverts for a new socket
            tx.sendto(ByteBuffer.wrap(Stream.datagram(42)), 0, InetSockAddr.of("10.0.0.2", 9001));
            assertThat(DivertLab.receive(plain)).isEqualTo(Stream.datagram(42));
            assertThat(lab.stack.core().registry().entry("divert")).isNotNull();
            Socket again = divert(b, PORT);
            sendDiverted(lab, tx, b, 0, 1);
            readAndWriteBack(again, 0);
            assertThat(DivertLab.receive(rx)).isEqualTo(Stream.datagram(0));
        }
    }

    @Test
    void aWrongValueInTheSnapshotIsNamedAndTheUpgradeFails() throws Exception {
        try (DivertLab lab = new DivertLab()) {
            Vnet b = lab.vnet("b");
            Socket ds = divert(b, PORT);
            lab.upgradeDivert(rules -> new Tampering(rules, "port", 70_000));
            assertThat(lab.stack.core().registry().upgradeFailures().getLast().failure())
                    .contains("divert snapshot: bad port (70000, not a divert port 0..65535)");
            assertThatThrownBy(() -> ds.recv(ByteBuffer.allocate(8), 0)).isInstanceOfSatisfying(SocketException.class,
                    e -> assertThat(e.errno()).isEqualTo(Errno.ECONNABORTED));

            Socket ds2 = divert(b, PORT);
            lab.upgradeDivert(rules -> new Tampering(rules, "removed", "yes"));
            assertThat(lab.stack.core().registry().upgradeFailures().getLast().failure())
                    .contains("divert snapshot: bad removed (yes, not a boolean)");
            assertThatThrownBy(() -> ds2.recv(ByteBuffer.allocate(8), 0)).isInstanceOfSatisfying(SocketException.class,
                    e -> assertThat(e.errno()).isEqualTo(Errno.ECONNABORTED));
        }
    }

    @Test
    void anUnknownFormatOrVersionIsRefusedWithEprotonosupport() {
        DivertProtoSw sw = new DivertProtoSw(new DivertRules());
        assertThat(sw.snapshotFormat()).isEqualTo("org.protosw.divert");
        assertThat(sw.snapshotVersion()).isEqualTo(1);
        Snapshot udp = new Snapshot("org.protosw.udp", 1, Map.of());
        Snapshot v2 = new Snapshot("org.protosw.divert", 2, Map.of());
        assertThatThrownBy(() -> sw.importProtocol(null, udp)).isInstanceOfSatisfying(SocketException.class, e -> {
            assertThat(e.errno()).isEqualTo(Errno.EPROTONOSUPPORT);
            assertThat(e.getMessage()).contains("not org.protosw.udp version 1");
        });
        assertThatThrownBy(() -> sw.importPcb(null, null, v2)).isInstanceOfSatisfying(SocketException.class, e -> {
            assertThat(e.errno()).isEqualTo(Errno.EPROTONOSUPPORT);
            assertThat(e.getMessage()).contains("reads org.protosw.divert version 1, not org.protosw.divert version 2");
        });
    }

    /** The real divert behind a revision a test changes in one place. */
    private static class Forwarding implements ProtoSw, StateTransfer {
        final DivertProtoSw divert;

        Forwarding(DivertRules rules) {
            divert = new DivertProtoSw(rules);
        }

        @Override
        public Protocol init(ProtoContext ctx) throws SocketException {
            return divert.init(ctx);
        }

        @Override
        public String snapshotFormat() {
            return divert.snapshotFormat();
        }

        @Override
        public int snapshotVersion() {
            return divert.snapshotVersion();
        }

        @Override
        public Snapshot exportPcb(Protocol p, Pcb pcb) throws SocketException {
            return divert.exportPcb(p, pcb);
        }

        @Override
        public Snapshot exportProtocol(Protocol p) throws SocketException {
            return divert.exportProtocol(p);
        }

        @Override
        public void importProtocol(Protocol p, Snapshot state) throws SocketException {
            divert.importProtocol(p, state);
        }

        @Override
        public Pcb importPcb(Protocol p, ProtoSocket so, Snapshot state) throws SocketException {
            return divert.importPcb(p, so, state);
        }
    }

    /** A divert whose import refuses every snapshot, as a build that cannot read version 1 would. */
    private static final class Refusing extends Forwarding {
        Refusing(DivertRules rules) {
            super(rules);
        }

        @Override
        public int snapshotVersion() {
            return 2;
        }

        @Override
        public void importProtocol(Protocol p, Snapshot state) throws SocketException {
            throw new SocketException(Errno.EPROTONOSUPPORT, "this revision reads no divert snapshot of version " + state.version());
        }
    }

    /** The real divert, handed a pcb snapshot with one value replaced. */
    private static final class Tampering extends Forwarding {
        private final String key;
        private final Object value;

        Tampering(DivertRules rules, String key, Object value) {
            super(rules);
            this.key = key;
            this.value = value;
        }

        @Override
        public Pcb importPcb(Protocol p, ProtoSocket so, Snapshot state) throws SocketException {
            Map<String, Object> m = new LinkedHashMap<>(state.state());
            m.put(key, value);
            return super.importPcb(p, so, new Snapshot(state.format(), state.version(), m));
        }
    }
}
