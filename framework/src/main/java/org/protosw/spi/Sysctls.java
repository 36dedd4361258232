package org.protosw.spi;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The tunables of a stack instance, with FreeBSD-like names ({@code net.inet.udp.recvspace}).
 * Values are kept in Configuration Admin, so they survive restarts and a protocol's reload.
 */
@ProviderType
public interface Sysctls {
    /**
     * Declares an integer tunable (as BSD's {@code SYSCTL_INT}); its value is the saved one
     * when there is one, else {@code defaultValue}. Unregistered when the protocol leaves.
     *
     * @throws IllegalArgumentException when the name is taken or the bounds are wrong
     */
    Tunable register(String name, long defaultValue, long min, long max, String description);

    /**
     * Declares a tunable holding a word (as BSD's {@code SYSCTL_STRING}). {@code check} judges
     * values set later (from the shell or the configuration); a saved value is taken as it is,
     * since what it names may not be there yet when the protocol starts.
     *
     * @throws IllegalArgumentException when the name is taken or the default is empty
     * @since 1.1
     */
    StringTunable registerString(String name, String defaultValue, StringTunable.Check check, String description);

    /** The integer tunable of that name, or null. */
    Tunable find(String name);

    /**
     * The word tunable of that name, or null.
     *
     * @since 1.1
     */
    StringTunable findString(String name);
}
