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
    default ScopedContext newContext(String ownerName) {
        return newContext(ownerName, org.protosw.internal.priv.Cred.KERNEL);
    }

    /**
     * As {@link #newContext(String)}, for code of the bundle {@code cred} names: what the
     * context opens that needs a right ({@link org.protosw.internal.priv.Priv}) is checked
     * against that bundle's grants.
     */
    ScopedContext newContext(String ownerName, org.protosw.internal.priv.Cred cred);

    /** {@code net.protosw.upgrade_wait_ms}: how long a live upgrade waits for the new revision. */
    default long upgradeWaitMillis() {
        return 10_000;
    }

    /**
     * {@code net.protosw.unload_wait_ms}: how long an unload waits for calls in flight to
     * leave the protocol before it goes on without them; negative: the registry's own bound.
     */
    default long unloadWaitMillis() {
        return -1;
    }

    /** {@code net.protosw.upgrade_holdq}: inbound packets held per protocol number during an upgrade. */
    default int upgradeHoldLimit() {
        return 1024;
    }
}
