package org.protosw.internal.socket;

import org.protosw.socket.Errno;
import org.protosw.socket.SocketException;

/** The errno a call fails with, for assertions that compare errno values. */
final class ErrnoOf {
    interface Call {
        Object run() throws SocketException;
    }

    private ErrnoOf() {
    }

    static SocketException thrown(Call c) {
        try {
            Object r = c.run();
            throw new AssertionError("expected a SocketException, the call returned " + r);
        } catch (SocketException e) {
            return e;
        }
    }

    static Errno of(Call c) {
        return thrown(c).errno();
    }
}
