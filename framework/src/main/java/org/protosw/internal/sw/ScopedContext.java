package org.protosw.internal.sw;

import org.protosw.spi.ProtoContext;
import org.protosw.spi.Protocol;

/** A {@link ProtoContext} owned by one protocol instance, undone as a whole by {@link #close()}. */
public interface ScopedContext extends ProtoContext, AutoCloseable {
    /**
     * Tells the context which protocol instance it serves, so ICMP errors for the protocol
     * numbers it registered reach {@link Protocol#ctlinput}.
     */
    void bindProtocol(Protocol protocol);

    /**
     * The state of the protocol's domain in this instance, handed out by
     * {@link ProtoContext#domainState(Class)}.
     */
    void bindDomainState(Object state);

    /**
     * Where exceptions escaping the protocol's input, ctlinput and timer tasks are counted and
     * logged (with its bundle's name). Bound before {@code init}; without it (a module that
     * is no protocol) they reach the core's own last resort (the input worker's or the
     * wheel's catch).
     */
    default void bindFaults(ProtoFaults faults) {
    }

    /**
     * Freezes what reaches the protocol through this context for a live upgrade: the packets
     * of every protocol number it registered are held from now on ({@code holdLimit} each),
     * its timers are paused with their remaining time, and the call returns once no thread is
     * inside its input, ICMP-error or timer code, or at the deadline.
     *
     * @return the holds, to be released to the next revision or discarded; null when threads
     *         were still inside at the deadline (the holds are in place all the same: get
     *         them with {@link #holds()})
     */
    default java.util.List<InputHold> quiesce(int holdLimit, long deadlineNanos) {
        return java.util.List.of();
    }

    /** The holds {@link #quiesce} made. */
    default java.util.List<InputHold> holds() {
        return java.util.List.of();
    }

    /** Timers armed through this context from now on wait for {@link #resumeTimers()} (a new revision importing). */
    default void deferTimers() {
    }

    /** Starts the timers {@link #deferTimers()} kept back, each with the delay it was armed with. */
    default void resumeTimers() {
    }

    @Override
    void close();
}
