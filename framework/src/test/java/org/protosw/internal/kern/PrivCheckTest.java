package org.protosw.internal.kern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;
import static org.protosw.socket.SocketConstants.SOCK_RAW;

import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.protosw.internal.priv.Cred;
import org.protosw.internal.sw.ScopedContext;
import org.protosw.socket.Errno;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;
import org.protosw.spi.Pfil;
import org.protosw.spi.PfilHook;
import org.protosw.spi.Registration;

/**
 * Where the core checks rights: a bundle's socket(2) through its NetStack view, a
 * protocol's in-stack socreate and a context's pfil hook; the kernel's own calls unchecked.
 */
class PrivCheckTest {
    private final StandaloneStack stack;
    private final Vnet v;

    PrivCheckTest() throws SocketException {
        stack = new StandaloneStack();
        v = stack.stack();
    }

    @AfterEach
    void tearDown() {
        stack.close();
    }

    private static Errno errno(ThrowingCall c) {
        try {
            c.call();
            return null;
        } catch (SocketException e) {
            return e.errno();
        }
    }

    interface ThrowingCall {
        void call() throws SocketException;
    }

    @Test
    void aBundlesRawSocketNeedsTheRightItsDatagramSocketDoesNot() throws Exception {
        BundleNetStack app = new BundleNetStack(v, Cred.ofBundle("com.example.app"));
        assertThat(errno(() -> app.socket(AF_INET, SOCK_RAW, 1).close())).isEqualTo(Errno.EPERM);
        // no right is asked for a datagram socket: the core's tests load no UDP, so the
        // answer is the switch's, not EPERM
        assertThat(errno(() -> app.socket(AF_INET, SOCK_DGRAM, 0).close())).isEqualTo(Errno.ESOCKTNOSUPPORT);
        try (Socket s = v.socket(AF_INET, SOCK_RAW, 1)) {
            assertThat(s).as("the core's own (net:ping)").isNotNull();
        }
        stack.core().registry().privs().configure(Map.of("raw", "com.example.app"));
        try (Socket s = app.socket(AF_INET, SOCK_RAW, 1)) {
            assertThat(s).as("granted").isNotNull();
        }
        assertThat(stack.core().registry().privs().holders(org.protosw.internal.priv.Priv.NETINET_DIVERT)).isEmpty();
    }

    @Test
    void aProtocolsInStackRawSocketAndPfilHookAreCheckedAgainstItsBundle() throws Exception {
        PfilHook pass = (p, dir, ifp) -> PfilHook.PASS;
        try (ScopedContext ctx = v.newContext("sniffer", Cred.ofOwner("com.example.sniffer [40] 1.0.0"))) {
            assertThat(errno(() -> ctx.socreate(AF_INET, SOCK_RAW, 1, null).close())).isEqualTo(Errno.EPERM);
            assertThatThrownBy(() -> ctx.pfil().addHook("sniff", Pfil.IN, 10, pass)).isInstanceOf(SecurityException.class)
                    .hasMessageContaining("bundle com.example.sniffer").hasMessageContaining("'pfil'");
        }
        try (ScopedContext ctx = v.newContext("divert", Cred.ofOwner("org.protosw.divert [9] 1.0.0"))) {
            Registration r = ctx.pfil().addHook("divert", Pfil.IN, 10, pass);
            r.close();
        }
    }
}
