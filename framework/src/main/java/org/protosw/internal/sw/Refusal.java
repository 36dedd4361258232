package org.protosw.internal.sw;

import java.time.Instant;

import org.protosw.socket.Errno;

/**
 * A protocol switch service the registry refused, kept for {@code net:diag} until the
 * service goes away.
 *
 * @param owner the bundle that registered it, e.g. {@code "org.protosw.udp [12] 1.0.0"}
 * @param what the entry as far as it could be read (name and triple), or the raw properties
 * @param errno EINVAL for a bad description, EEXIST for a duplicate
 * @param message what was wrong, in words an operator can act on
 * @param when when it was refused
 */
public record Refusal(String owner, String what, Errno errno, String message, Instant when) {
    @Override
    public String toString() {
        return what + " from " + owner + " refused (" + errno.name() + "): " + message;
    }
}
