package org.protosw.ib.demo.internal.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.protosw.socket.SocketConstants.SOCK_SEQPACKET;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.protosw.ib.demo.Await;
import org.protosw.ib.demo.IbSockAddr;
import org.protosw.ib.demo.internal.verbs.IbStats.Counter;
import org.protosw.ib.demo.internal.wire.IbOpcode;
import org.protosw.ib.demo.internal.wire.Icrc;
import org.protosw.internal.net.PcapReader;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/**
 * The IB traffic as the stack's capture writes it (pcap of epair0a, both directions): every
 * packet is RoCEv2 (IPv4, UDP to 4791) with a correct ICRC by our own check, the data flows
 * use entropy source ports and the CM keeps 4791; and tshark decodes every packet as
 * InfiniBand with nothing malformed. Without tshark the second half is skipped with the
 * reason; under CI=true it fails instead.
 */
class IbCaptureTest {
    @TempDir
    Path dir;

    private final IbLab lab;

    IbCaptureTest() throws Exception {
        lab = new IbLab();
    }

    @AfterEach
    void tearDown() {
        lab.close();
    }

    @Test
    void theCaptureIsRoceV2WithCorrectIcrcsAndTsharkDecodesItAsInfiniband() throws Exception {
        Path f = dir.resolve("ib.pcap");
        int id = lab.a.captures().start(lab.pair.a(), f, 0, 0, null);
        traffic();
        lab.a.captures().stop(id);
        String keep = System.getProperty("ib.capture.keep");
        if (keep != null) {
            java.nio.file.Files.copy(f, Path.of(keep), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }

        List<PcapReader.Record> recs = PcapReader.readAll(f);
        assertThat(recs).hasSizeGreaterThan(100);
        Set<String> opcodes = new TreeSet<>();
        int entropy = 0;
        int cm = 0;
        for (PcapReader.Record r : recs) {
            byte[] b = r.data();
            assertThat(b.length).isEqualTo(r.origLen());
            assertThat(Icrc.applicable(b, 0, b.length)).as("IPv4/UDP without options").isTrue();
            int sport = (b[20] & 0xff) << 8 | (b[21] & 0xff);
            int dport = (b[22] & 0xff) << 8 | (b[23] & 0xff);
            assertThat(dport).isEqualTo(4791);
            assertThat(Icrc.verify(b, 0, b.length - Icrc.IB_OFFSET)).as("ICRC of packet with IP ID %d", (b[4] & 0xff) << 8 | (b[5] & 0xff))
                    .isTrue();
            int op = b[Icrc.IB_OFFSET] & 0xff;
            opcodes.add(IbOpcode.name(op));
            if (op == IbOpcode.UD_SEND_ONLY) {
                assertThat(sport).as("the CM's MADs keep port 4791").isEqualTo(4791);
                cm++;
            } else {
                assertThat(sport).as("an RC flow's source port: entropy").isBetween(0xc000, 0xffff);
                entropy++;
            }
        }
        assertThat(cm).as("CM MADs: REQ, REP, RTU, REJ, DREQ, DREP").isGreaterThanOrEqualTo(6);
        assertThat(entropy).isPositive();
        assertThat(opcodes).contains(IbOpcode.name(IbOpcode.RC_SEND_ONLY), IbOpcode.name(IbOpcode.RC_SEND_FIRST),
                IbOpcode.name(IbOpcode.RC_SEND_MIDDLE), IbOpcode.name(IbOpcode.RC_SEND_LAST),
                IbOpcode.name(IbOpcode.RC_RDMA_WRITE_FIRST), IbOpcode.name(IbOpcode.RC_RDMA_WRITE_MIDDLE),
                IbOpcode.name(IbOpcode.RC_RDMA_WRITE_LAST_IMM), IbOpcode.name(IbOpcode.RC_ACK),
                IbOpcode.name(IbOpcode.UD_SEND_ONLY));

        String tshark = findOnPath("tshark");
        if (tshark == null) {
            if ("true".equals(System.getenv("CI"))) {
                fail("tshark is not installed but CI=true: install it (Debian package tshark) so the IB capture is decoded");
            }
            assumeTrue(false, "tshark is not installed: skipping the check that Wireshark decodes our RoCEv2 as InfiniBand"
                    + " (install the Debian package tshark)");
        }
        // the payloads are test bytes: Wireshark's heuristic dissectors of what IB carries (RPC
        // over RDMA takes zeros for a malformed RPC, SMB Direct, iSER...) would read them as
        // their protocol; InfiniBand itself is the check, so they are switched off
        List<String> base = new ArrayList<>(List.of(tshark, "-n", "-r", f.toString()));
        for (String h : payloadProtocols(tshark)) {
            base.add("--disable-protocol");
            base.add(h);
        }
        List<String> all = run(withArgs(base, "-T", "fields", "-e", "frame.number"));
        List<String> ib = run(withArgs(base, "-Y", "infiniband", "-T", "fields", "-e", "frame.number"));
        assertThat(all).hasSize(recs.size());
        assertThat(ib).as("packets tshark decodes as InfiniBand").hasSize(recs.size());
        String verbose = String.join("\n", run(withArgs(base, "-V")));
        assertThat(verbose.toLowerCase(Locale.ROOT)).doesNotContain("malformed").doesNotContain("[expert info (error");
        assertThat(verbose).contains("Base Transport Header").contains("Invariant CRC").contains("RDMA Extended Transport Header")
                .contains("ACK Extended Transport Header").contains("ConnectRequest").contains("ConnectReply")
                .contains("ReadyToUse").contains("ConnectReject").contains("DisconnectRequest");
    }

    /** SEQPACKET messages of every shape (SEND ONLY, FIRST/MIDDLE/LAST, RDMA WRITE), a stream, a refusal, closes. */
    private void traffic() throws Exception {
        Socket[] p = lab.connect(SOCK_SEQPACKET, 0x5000);
        int[] sizes = {0, 1, 100, 1023, 1024, 1025, 5000, 20000, 100000};
        Future<Integer> reader = lab.async(() -> {
            ByteBuffer in = ByteBuffer.allocate(200000);
            int n = 0;
            for (int s : sizes) {
                in.clear();
                assertThat(p[1].recv(in)).isEqualTo(s);
                n++;
            }
            return n;
        });
        for (int s : sizes) {
            p[0].send(ByteBuffer.allocate(s));
        }
        assertThat(reader.get(30, TimeUnit.SECONDS)).isEqualTo(sizes.length);
        p[0].close();
        p[1].close();
        Socket[] st = lab.connect(SOCK_STREAM, 0x5001);
        Future<IbLab.Digest> sr = lab.async(() -> IbLab.receive(st[1], Long.MAX_VALUE, 64 * 1024));
        IbLab.Digest sent = IbLab.send(st[0], 300_000, 3, 64 * 1024);
        st[0].shutdown(org.protosw.socket.SocketConstants.SHUT_WR);
        assertThat(sr.get(30, TimeUnit.SECONDS).sha256()).isEqualTo(sent.sha256());
        st[0].close();
        st[1].close();
        try (Socket s = IbLab.socket(lab.a, SOCK_SEQPACKET)) {
            s.connect(new IbSockAddr(IbLab.GID_B, 0x5999));
        } catch (SocketException e) {
            assertThat(e.errno()).isEqualTo(org.protosw.socket.Errno.ECONNREFUSED);
        }
        // the closes' DREQ and DREP have gone both ways once no QP is left
        Await.until("every QP destroyed", Duration.ofSeconds(30),
                () -> lab.ib(lab.a).hca().qps().isEmpty() && lab.ib(lab.b).hca().qps().isEmpty());
        Await.until("every CM MAD sent has arrived (the DREPs too)", Duration.ofSeconds(30),
                () -> lab.stat(lab.a, Counter.CM_SENT) == lab.stat(lab.b, Counter.CM_RCVD)
                        && lab.stat(lab.b, Counter.CM_SENT) == lab.stat(lab.a, Counter.CM_RCVD));
    }

    private static List<String> withArgs(List<String> base, String... more) {
        List<String> l = new ArrayList<>(base);
        l.addAll(List.of(more));
        return l;
    }

    /** The protocols whose heuristic dissectors tshark runs on InfiniBand payloads and CM private data. */
    private List<String> payloadProtocols(String tshark) throws Exception {
        Set<String> out = new TreeSet<>();
        for (String l : run(List.of(tshark, "-G", "heuristic-decodes"))) {
            String[] c = l.split("\t");
            if (c.length >= 2 && c[0].startsWith("infiniband.") && !c[1].equals("infiniband") && !c[1].equals("ethertype")) {
                out.add(c[1]);
            }
        }
        return new ArrayList<>(out);
    }

    private List<String> run(List<String> cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectErrorStream(false);
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("HOME", dir.toString()); // tshark wants a profile directory it may write
        Process proc = pb.start();
        byte[] out = proc.getInputStream().readAllBytes();
        if (!proc.waitFor(120, TimeUnit.SECONDS)) {
            proc.destroyForcibly();
            fail("tshark did not finish within 120 s: " + cmd);
        }
        String text = new String(out, StandardCharsets.UTF_8);
        assertThat(proc.exitValue()).as("exit status of %s; output:%n%s", cmd, text).isZero();
        return text.lines().filter(l -> !l.isBlank()).toList();
    }

    private static String findOnPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String d : path.split(File.pathSeparator)) {
            File f = new File(d, name);
            if (f.canExecute()) {
                return f.getPath();
            }
        }
        return null;
    }
}
