package org.protosw.internal.sw;

import java.util.Map;

import org.protosw.spi.ProtoSw;

/**
 * A protocol switch entry whose domain is not registered (yet), kept until the domain comes
 * or the service goes; {@code net:diag} names the family it waits for.
 */
public record WaitingEntry(ProtoSw sw, Map<String, ?> properties, String owner, ProtoDescriptor descriptor) {
    @Override
    public String toString() {
        return descriptor.name() + " (" + descriptor.triple() + ") from " + owner + " waits for domain af"
                + descriptor.domain() + ": no domain of that family is registered";
    }
}
