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

    /** The tunable of that name, or null. */
    Tunable find(String name);
}
