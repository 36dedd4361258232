package org.protosw.internal.sw;

/**
 * What the protocol registry needs of a stack instance: its name and a way to make the
 * context a protocol instance runs with.
 */
public interface VnetHooks {
    String name();

    /**
     * A new context for one protocol (or module) in this instance. Closing it removes every
     * registration made through it (input handlers, callouts, tunables, pfil hooks).
     */
    ScopedContext newContext(String ownerName);

    /** {@code net.protosw.upgrade_wait_ms}: how long a live upgrade waits for the new revision. */
    default long upgradeWaitMillis() {
        return 10_000;
    }

    /** {@code net.protosw.upgrade_holdq}: inbound packets held per protocol number during an upgrade. */
    default int upgradeHoldLimit() {
        return 1024;
    }
}
