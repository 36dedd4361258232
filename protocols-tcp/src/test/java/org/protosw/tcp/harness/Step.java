package org.protosw.tcp.harness;

import java.util.List;

/**
 * One line of a script and when it happens: {@link When#at} seconds after the start of the
 * script, or (relative, written {@code +T}) after the previous event actually happened, as
 * packetdrill counts: a slow first step then does not shift every later deadline.
 */
sealed interface Step {
    When when();

    int line();

    /** Earliest and latest time, and whether they count from the previous event. */
    record When(double at, double until, boolean relative) {
    }

    /** A segment the harness sends to the stack. */
    record Inject(When when, ScriptSegment segment, int line) implements Step {
    }

    /** A segment the stack must send, between {@code at} and {@code until}. */
    record Expect(When when, ScriptSegment segment, int line) implements Step {
    }

    /** The stack must send nothing until then. */
    record Quiet(When when, int line) implements Step {
    }

    /**
     * A socket call ({@code accept s c}, {@code write c 1000 = 1000}...); with {@code async}
     * the script goes on while it blocks and {@code await} checks its result.
     */
    record Call(When when, String verb, List<String> args, String expect, boolean async, int line) implements Step {
    }
}
