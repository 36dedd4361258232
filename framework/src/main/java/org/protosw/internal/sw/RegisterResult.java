package org.protosw.internal.sw;

/** What {@link ProtoSwRegistry#register} did with a protocol switch service. */
public sealed interface RegisterResult {
    /** The entry is in the table and serves every stack instance whose init succeeded. */
    record Accepted(ProtoEntry entry) implements RegisterResult {
    }

    /** The entry was not taken; the refusal is listed by {@link ProtoSwRegistry#refusals()}. */
    record Refused(Refusal refusal) implements RegisterResult {
    }

    /**
     * The entry names an address family no domain serves yet: it waits, listed by
     * {@link ProtoSwRegistry#waiting()}, and starts when the domain registers.
     */
    record Waiting(WaitingEntry entry) implements RegisterResult {
    }

    default boolean accepted() {
        return this instanceof Accepted;
    }
}
