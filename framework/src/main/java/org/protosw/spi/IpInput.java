package org.protosw.spi;

import org.osgi.annotation.versioning.ConsumerType;

/** The input routine of an IP protocol number ({@code pr_input}), see {@link ProtoContext#ipprotoRegister}. */
@ConsumerType
@FunctionalInterface
public interface IpInput {
    /**
     * A packet addressed to this host (reassembled, header checked). Its data start at the
     * IPv4 header of {@code hlen} bytes; the handler owns it and must not throw.
     */
    void input(Packet p, int hlen);
}
