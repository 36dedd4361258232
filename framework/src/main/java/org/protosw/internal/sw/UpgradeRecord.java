package org.protosw.internal.sw;

import java.time.Duration;
import java.time.Instant;

/**
 * One live upgrade of a protocol, as {@code net:protocols} and {@code net:diag} show it.
 *
 * @param protocol the entry's name
 * @param from the bundle that served it before
 * @param to the bundle serving it after, or null when none came
 * @param when when the freeze began
 * @param pause from the freeze to the resume (or to the failure)
 * @param sockets sockets moved to the new revision (or aborted, when it failed)
 * @param held inbound packets held during the pause (and delivered, when it succeeded)
 * @param overflowed inbound packets dropped because the hold was full
 * @param failure why it failed, or null when it succeeded
 */
public record UpgradeRecord(String protocol, String from, String to, Instant when, Duration pause, int sockets,
        long held, long overflowed, String failure) {
    public boolean failed() {
        return failure != null;
    }

    @Override
    public String toString() {
        if (failed()) {
            return "upgrade of " + protocol + " from " + from + (to == null ? "" : " to " + to) + " failed at " + when
                    + ": " + failure + "; " + sockets + " socket(s) aborted (ECONNABORTED)";
        }
        return "upgraded " + protocol + " from " + from + " to " + to + " at " + when + ": pause "
                + pause.toMillis() + " ms, " + sockets + " socket(s) moved, " + held + " packet(s) held"
                + (overflowed > 0 ? ", " + overflowed + " dropped (hold full)" : "");
    }
}
