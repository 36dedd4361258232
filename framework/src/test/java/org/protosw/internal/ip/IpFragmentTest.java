package org.protosw.internal.ip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.internal.ip.TestStack.bytes;
import static org.protosw.internal.ip.TestStack.hdr;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.SysctlTree;
import org.protosw.spi.Packet;
import org.protosw.wire.Ipv4Header;
import org.protosw.wire.WireStatus;

class IpFragmentTest {
    private static final int SRC = TestStack.addr("10.0.0.1");
    private static final int DST = TestStack.addr("10.0.0.2");

    /** A datagram with the given options (padded to 4) and {@code n} payload bytes. */
    private static Packet datagram(byte[] options, int n, int id) {
        int hlen = 20 + options.length;
        Packet p = Packet.allocate(hlen + n);
        Ipv4Header h = hdr(p);
        h.setVersionAndHeaderLength(hlen).setTos(0).setTotalLength(hlen + n).setId(id).setFragment(false, false, 0)
                .setTtl(64).setProtocol(253).setSrc(SRC).setDst(DST);
        System.arraycopy(options, 0, p.array(), p.offset() + 20, options.length);
        System.arraycopy(bytes(n, id), 0, p.array(), p.offset() + hlen, n);
        h.fillChecksum();
        return p;
    }

    @Test
    void sizesAcrossTheMtuRoundTrip() {
        int[] mtus = {68, 576, 1500, 9000};
        int[] sizes = {1, 7, 8, 9, 47, 48, 49, 548, 555, 556, 557, 1472, 1479, 1480, 1481, 2960, 2961, 8980, 9000, 65515};
        Random rnd = new Random(9);
        int id = 0;
        for (int mtu : mtus) {
            for (int n : sizes) {
                id++;
                Packet p = datagram(new byte[0], n, id);
                byte[] original = p.toByteArray();
                List<Packet> frags = IpFragment.fragment(p, 20, mtu);
                int expected = 20 + n <= mtu ? 1 : (n + ((mtu - 20) & ~7) - 1) / ((mtu - 20) & ~7);
                assertThat(frags).as("mtu %d size %d", mtu, n).hasSize(expected);
                int covered = 0;
                for (int i = 0; i < frags.size(); i++) {
                    Ipv4Header h = hdr(frags.get(i));
                    assertThat(h.check()).isEqualTo(WireStatus.OK);
                    assertThat(h.checksumValid()).isTrue();
                    assertThat(h.totalLength()).isLessThanOrEqualTo(mtu);
                    assertThat(h.fragmentOffset()).isEqualTo(covered);
                    assertThat(h.moreFragments()).isEqualTo(i < frags.size() - 1);
                    if (i < frags.size() - 1) {
                        assertThat(h.payloadLength() % 8).isZero();
                    }
                    covered += h.payloadLength();
                }
                assertThat(covered).isEqualTo(n);
                if (frags.size() == 1) {
                    assertThat(frags.get(0).toByteArray()).isEqualTo(original);
                    continue;
                }
                Collections.shuffle(frags, rnd);
                SysctlTree sysctl = new SysctlTree();
                IpReass reass = new IpReass(sysctl, () -> 0L, x -> { });
                sysctl.find("net.inet.ip.maxfragsperpacket").set(8192);
                Packet whole = null;
                for (Packet f : frags) {
                    Packet r = reass.input(f, 20);
                    if (r != null) {
                        whole = r;
                    }
                }
                assertThat(whole).as("mtu %d size %d", mtu, n).isNotNull();
                assertThat(whole.toByteArray()).as("mtu %d size %d", mtu, n).isEqualTo(original);
            }
        }
    }

    @Test
    void onlyCopiedOptionsGoToLaterFragments() {
        // router alert (copied, 4 bytes), record route (not copied, 7 bytes), EOL padding
        byte[] opts = {(byte) 0x94, 4, 0, 0, 7, 7, 4, 0, 0, 0, 0, 0};
        Packet p = datagram(opts, 3000, 77);
        byte[] original = p.toByteArray();
        List<Packet> frags = IpFragment.fragment(p, 32, 1500);
        assertThat(frags).hasSize(3);
        Ipv4Header first = hdr(frags.get(0));
        assertThat(first.headerLength()).isEqualTo(32);
        assertThat(first.payloadLength()).isEqualTo((1500 - 32) & ~7);
        for (Packet f : frags.subList(1, 3)) {
            Ipv4Header h = hdr(f);
            assertThat(h.headerLength()).isEqualTo(24);
            assertThat(f.get8(20)).isEqualTo(0x94);
            assertThat(h.badOptionOffset()).isEqualTo(-1);
            assertThat(h.checksumValid()).isTrue();
        }
        IpReass reass = new IpReass(new SysctlTree(), () -> 0L, x -> { });
        Packet whole = null;
        for (int i = frags.size() - 1; i >= 0; i--) {
            Packet f = frags.get(i);
            whole = reass.input(f, hdr(f).headerLength());
        }
        assertThat(whole.toByteArray()).as("the first fragment's header, all options").isEqualTo(original);
    }

    @Test
    void aFragmentIsFragmentedAgain() {
        Packet p = datagram(new byte[0], 1480, 5);
        // pretend it is the middle fragment at offset 2960 of a larger datagram
        hdr(p).setFragment(true, true, 2960).fillChecksum();
        List<Packet> frags = IpFragment.fragment(p, 20, 576);
        assertThat(frags).hasSize(3);
        assertThat(hdr(frags.get(0)).fragmentOffset()).isEqualTo(2960);
        assertThat(hdr(frags.get(2)).moreFragments()).as("keeps the original MF").isTrue();
        assertThat(hdr(frags.get(2)).dontFragment()).isTrue();
        assertThat(hdr(frags.get(1)).fragmentOffset()).isEqualTo(2960 + 552);
    }

    @Test
    void tooSmallAnMtuIsRefused() {
        Packet p = datagram(new byte[40], 100, 1);
        assertThat(IpFragment.fragment(p, 60, 67)).isNull();
        assertThat(Arrays.equals(p.toByteArray(), datagram(new byte[40], 100, 1).toByteArray())).as("untouched").isTrue();
    }
}
