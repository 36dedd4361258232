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
     * Declares an integer tunable whose owner acts when it is set (BSD's {@code SYSCTL_PROC}
     * handler), such as a switch that starts a trace: {@code onSet} gets each value
     * {@link Tunable#set} accepts, on the setter's thread, after it is stored. It is not called
     * for the value found at registration (saved or default): read that with {@link Tunable#get}.
     *
     * @throws IllegalArgumentException when the name is taken or the bounds are wrong
     * @since 1.3
     */
    Tunable register(String name, long defaultValue, long min, long max, String description,
            java.util.function.LongConsumer onSet);

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
