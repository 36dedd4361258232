package org.protosw.spi;

import org.osgi.annotation.versioning.ProviderType;

/** Undoes a registration with the core. Idempotent. */
@ProviderType
public interface Registration extends AutoCloseable {
    @Override
    void close();
}
