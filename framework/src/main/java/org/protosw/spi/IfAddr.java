package org.protosw.spi;

import org.protosw.socket.InAddr;

/**
 * An IPv4 address of an interface ({@code struct in_ifaddr}).
 *
 * @param addr the address
 * @param prefixLength netmask length
 * @param broadcast the directed broadcast address, or null on point-to-point links
 */
public record IfAddr(InAddr addr, int prefixLength, InAddr broadcast) {
    public InAddr network() {
        return new InAddr(addr.bits() & InAddr.netmask(prefixLength));
    }

    @Override
    public String toString() {
        return addr + "/" + prefixLength;
    }
}
