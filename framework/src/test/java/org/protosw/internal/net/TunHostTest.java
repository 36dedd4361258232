package org.protosw.internal.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import org.junit.jupiter.api.Test;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.SocketException;

class TunHostTest {
    @Test
    void onlyTheThreeDocumentationNetworksAreDocumentation() {
        assertThat(TunHost.isDocumentation(InAddr.parse("192.0.2.200"))).isTrue();
        assertThat(TunHost.isDocumentation(InAddr.parse("198.51.100.1"))).isTrue();
        assertThat(TunHost.isDocumentation(InAddr.parse("203.0.113.254"))).isTrue();
        assertThat(TunHost.isDocumentation(InAddr.parse("192.0.3.1"))).isFalse();
        assertThat(TunHost.isDocumentation(InAddr.parse("10.0.0.1"))).isFalse();
        assertThat(TunHost.isDocumentation(InAddr.parse("198.51.101.1"))).isFalse();
    }

    @Test
    void inTheHostsNamespaceOtherAddressesAndShortPrefixesAreRefused() throws Exception {
        // the surefire JVM runs in whatever namespace the build does; the rule only bites in init's
        if (TunHost.inOtherNetns()) {
            TunHost.checkAllowed(InAddr.parse("10.0.0.1"), 8);
            return;
        }
        TunHost.checkAllowed(InAddr.parse("192.0.2.2"), 24);
        SocketException e = catchThrowableOfType(SocketException.class, () -> TunHost.checkAllowed(InAddr.parse("10.0.0.1"), 24));
        assertThat(e.errno()).isEqualTo(Errno.EPERM);
        assertThat(e.getMessage()).contains("RFC 5737").doesNotContain("\n");
        assertThat(catchThrowableOfType(SocketException.class, () -> TunHost.checkAllowed(InAddr.parse("192.0.2.2"), 16)).errno())
                .isEqualTo(Errno.EPERM);
    }

    @Test
    void openFailuresSayWhy() {
        assertThat(Tun.openReason(Libc.ENOENT)).contains("tun module");
        assertThat(Tun.openReason(Libc.EACCES)).contains("CAP_NET_ADMIN");
        assertThat(Tun.openReason(Libc.EPERM)).contains("CAP_NET_ADMIN");
        assertThat(Tun.setiffReason(Libc.EBUSY, "tun0")).contains("tun0 is in use");
        assertThat(Libc.toErrno(Libc.EBUSY)).isEqualTo(Errno.EBUSY);
        assertThat(Libc.toErrno(Libc.EAGAIN)).isEqualTo(Errno.EAGAIN);
    }

    @Test
    void badNamesAndMtusAreRefusedBeforeAnythingIsOpened() {
        SocketException e = catchThrowableOfType(SocketException.class, () -> Tun.open("a-name-longer-than-15", 1500));
        assertThat(e.errno()).isEqualTo(Errno.EINVAL);
        assertThat(catchThrowableOfType(SocketException.class, () -> Tun.open("tun0", 65536)).errno()).isEqualTo(Errno.EINVAL);
        assertThat(catchThrowableOfType(SocketException.class, () -> Tun.open("tun0", 67)).errno()).isEqualTo(Errno.EINVAL);
    }
}
