package org.protosw.spi;

import org.osgi.annotation.versioning.ProviderType;

/** One tunable; reading it is a volatile read, cheap enough for the data path. */
@ProviderType
public interface Tunable extends Registration {
    String name();

    String description();

    long get();

    default int getInt() {
        return (int) get();
    }

    long min();

    long max();

    long defaultValue();

    /**
     * Sets it (and saves it).
     *
     * @throws IllegalArgumentException when outside [min, max], naming the bounds
     */
    void set(long value);
}
