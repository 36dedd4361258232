package org.protosw.spi;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A tunable whose value is a word (BSD's {@code SYSCTL_STRING}), such as the name of TCP's
 * default congestion control algorithm. Reading it is a volatile read.
 */
@ProviderType
public interface StringTunable extends Registration {
    /**
     * Decides whether a value may be set: returns null to accept it, else why it is refused,
     * naming what is accepted ("no algorithm 'x' (available: cubic, newreno)").
     */
    @FunctionalInterface
    interface Check {
        String refuse(String value);
    }

    String name();

    String description();

    String get();

    String defaultValue();

    /** Why {@link #set} would refuse {@code value}, or null when it would take it. */
    String refuse(String value);

    /**
     * Sets it (and saves it).
     *
     * @throws IllegalArgumentException when the value is empty or its check refuses it, with the reason
     */
    void set(String value);
}
