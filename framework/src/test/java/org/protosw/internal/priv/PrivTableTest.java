package org.protosw.internal.priv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.protosw.socket.Errno;
import org.protosw.socket.SocketException;

class PrivTableTest {
    private final PrivTable t = new PrivTable();

    @Test
    void theDefaultsGrantDivertItsSocketsAndHookAndTheIbDemoItsHookAndNobodyRaw() {
        assertThat(t.holders(Priv.NETINET_RAW)).isEmpty();
        assertThat(t.holds("org.protosw.divert", Priv.NETINET_DIVERT)).isTrue();
        assertThat(t.holds("org.protosw.divert", Priv.NET_PFIL)).isTrue();
        assertThat(t.holds("org.protosw.ib.demo", Priv.NET_PFIL)).isTrue();
        assertThat(t.holds("org.protosw.ib.demo", Priv.NETINET_DIVERT)).isFalse();
        assertThat(t.holds("org.protosw.inetd", Priv.NETINET_RAW)).isFalse();
    }

    @Test
    void aConfigurationReplacesTheGrantsAndAMissingKeyGrantsNobody() {
        t.configure(Map.of("raw", "com.example.sniffer, com.example.probe-*", "divert", List.of("com.example.fw")));
        assertThat(t.holds("com.example.sniffer", Priv.NETINET_RAW)).isTrue();
        assertThat(t.holds("com.example.probe-42", Priv.NETINET_RAW)).as("a prefix grant").isTrue();
        assertThat(t.holds("com.example.probe", Priv.NETINET_RAW)).isFalse();
        assertThat(t.holds("com.example.fw", Priv.NETINET_DIVERT)).isTrue();
        assertThat(t.holds("org.protosw.divert", Priv.NETINET_DIVERT)).as("not listed any more").isFalse();
        assertThat(t.holders(Priv.NET_PFIL)).as("no pfil key").isEmpty();
        t.configure(null);
        assertThat(t.holds("org.protosw.divert", Priv.NETINET_DIVERT)).as("deleted: the defaults").isTrue();
        assertThat(t.holds("com.example.sniffer", Priv.NETINET_RAW)).isFalse();
    }

    @Test
    void theCheckRefusesWithEpermNamingTheBundleAndTheRightAndLetsTheKernelThrough() throws Exception {
        assertThatThrownBy(() -> t.check(Cred.ofBundle("com.example.app"), Priv.NETINET_RAW, "socket(inet, SOCK_RAW)"))
                .isInstanceOf(SocketException.class)
                .satisfies(e -> assertThat(((SocketException) e).errno()).isEqualTo(Errno.EPERM))
                .hasMessageContaining("bundle com.example.app").hasMessageContaining("'raw'").hasMessageContaining(PrivTable.PID);
        t.check(Cred.KERNEL, Priv.NETINET_RAW, "socket(inet, SOCK_RAW)");
        t.check(Cred.ofOwner("org.protosw.framework [3] 1.0.0"), Priv.NETINET_RAW, "the core's own");
        t.check(Cred.ofOwner("org.protosw.divert [9] 1.0.0"), Priv.NETINET_DIVERT, "divert");
    }
}
