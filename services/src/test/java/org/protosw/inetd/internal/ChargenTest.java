package org.protosw.inetd.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class ChargenTest {
    @Test
    void linesRotateThroughThePrintableCharactersAsRfc864Shows() {
        ByteBuffer b = ByteBuffer.allocate(Chargen.LINE_WITH_EOL * 96);
        new Chargen().fill(b);
        String[] lines = new String(b.array(), StandardCharsets.US_ASCII).split("\r\n", -1);
        assertThat(lines[0]).isEqualTo("!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefgh".substring(0, 0)
                + " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefg");
        assertThat(lines[1]).startsWith("!\"#$").hasSize(72);
        // after 95 lines the ring comes round
        assertThat(lines[95]).isEqualTo(lines[0]);
    }

    @Test
    void theStreamContinuesAcrossFillsAndDatagramsAreWholeLines() {
        Chargen a = new Chargen();
        ByteBuffer one = ByteBuffer.allocate(1000);
        a.fill(one);
        Chargen b = new Chargen();
        ByteBuffer two = ByteBuffer.allocate(1000);
        b.fill(two.slice(0, 333));
        two.position(333);
        b.fill(two);
        assertThat(two.array()).isEqualTo(one.array());

        ByteBuffer d = ByteBuffer.allocate(65536);
        new Chargen().fillDatagram(d);
        assertThat(d.position()).isEqualTo(6 * Chargen.LINE_WITH_EOL);
        assertThat(d.get(d.position() - 1)).isEqualTo((byte) '\n');
    }
}
