package org.protosw.internal.sw;

/** Where a protocol switch entry is in its life. */
public enum ProtoState {
    /** Serves new and existing sockets. */
    ACTIVE,
    /** Refuses new sockets; existing ones keep working until they close. */
    DRAINING,
    /** Its service went away: sockets are being aborted and detached. */
    UNLOADING,
    /** Its bundle is being updated: sockets are frozen, their state exported, the new revision awaited. */
    UPGRADING;

    /** The lower-case word shown by {@code net:protocols}. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
