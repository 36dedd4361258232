package org.protosw.ib.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class IbAddressTest {
    @Test
    void ipv4MappedGids() {
        IbGid g = IbGid.parse("::ffff:192.0.2.1");
        assertThat(g.isIpv4Mapped()).isTrue();
        assertThat(g.ipv4()).isEqualTo(0xc0000201);
        assertThat(g).isEqualTo(IbGid.ofIpv4(0xc0000201));
        assertThat(g.toString()).isEqualTo("::ffff:192.0.2.1");
        assertThat(IbGid.parse("0:0:0:0:0:ffff:c000:201")).isEqualTo(g);
    }

    @Test
    void ipv6Text() {
        assertThat(IbGid.parse("fe80::1").toString()).isEqualTo("fe80::1");
        assertThat(IbGid.parse("fe80:0:0:0:0:0:0:1")).isEqualTo(IbGid.parse("fe80::1"));
        assertThat(IbGid.parse("::").toString()).isEqualTo("::");
        assertThat(IbGid.parse("1:2:3:4:5:6:7:8").toString()).isEqualTo("1:2:3:4:5:6:7:8");
        assertThat(IbGid.parse("1:0:0:4:0:0:0:8").toString()).isEqualTo("1:0:0:4::8");
        assertThat(IbGid.parse("fe80::1").toBytes()[0]).isEqualTo((byte) 0xfe);
    }

    @Test
    void badText() {
        for (String s : new String[] {"", "192.0.2.1", "1::2::3", ":1", "1:2:3:4:5:6:7:8:9", "12345::", "::ffff:300.0.0.1", "g::"}) {
            assertThatThrownBy(() -> IbGid.parse(s)).as(s).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a GID");
        }
    }

    @Test
    void socketAddresses() {
        IbSockAddr a = IbSockAddr.parse("[::ffff:192.0.2.2]:0x1000");
        assertThat(a.serviceId()).isEqualTo(0x1000);
        assertThat(a.family()).isEqualTo(IbConstants.AF_IB);
        assertThat(a.toString()).isEqualTo("[::ffff:192.0.2.2]:0x1000");
        assertThat(IbSockAddr.parse("[::ffff:192.0.2.2]:4096")).isEqualTo(a);
        assertThatThrownBy(() -> IbSockAddr.parse("192.0.2.2:1")).hasMessageContaining("expected [gid]:sid");
    }
}
