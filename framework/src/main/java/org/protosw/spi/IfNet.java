package org.protosw.spi;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/** A network interface ({@code struct ifnet}) as protocols see it. */
@ProviderType
public interface IfNet {
    int IFF_UP = 0x1;
    int IFF_BROADCAST = 0x2;
    int IFF_LOOPBACK = 0x8;
    int IFF_POINTOPOINT = 0x10;
    int IFF_RUNNING = 0x40;
    int IFF_MULTICAST = 0x8000;

    String name();

    /** Interface index, unique within the stack instance, from 1. */
    int index();

    int mtu();

    int flags();

    default boolean isUp() {
        return (flags() & IFF_UP) != 0;
    }

    default boolean isLoopback() {
        return (flags() & IFF_LOOPBACK) != 0;
    }

    /** Its IPv4 addresses, the primary first. */
    List<IfAddr> addresses();
}
