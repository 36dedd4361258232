package org.protosw.internal.socket;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.protosw.socket.Errno;
import org.protosw.socket.SocketException;

/** Small helpers shared by the socket and registry tests. */
public final class Errnos {
    private Errnos() {
    }

    /** Asserts that the call fails with a SocketException carrying that errno. */
    public static void assertErrno(Errno expected, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(SocketException.class,
                e -> org.assertj.core.api.Assertions.assertThat(e.errno()).as(e.getMessage()).isEqualTo(expected));
    }

    public static ByteBuffer buf(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    public static String str(ByteBuffer b, int n) {
        return new String(b.array(), b.arrayOffset(), n, StandardCharsets.UTF_8);
    }

    /** Bytes 0..n-1 with a recognisable pattern. */
    public static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + (i >>> 8));
        }
        return b;
    }
}
