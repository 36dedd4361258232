package org.protosw.spi;

import org.protosw.socket.InAddr;

/**
 * A route of the stack instance's table.
 *
 * @param dst destination network
 * @param prefixLength its prefix length
 * @param gateway next hop, or null for a directly attached network
 * @param ifp the outgoing interface
 * @param ifaddr the source address to use on that interface
 * @param mtu the route MTU (0 = the interface's)
 * @param flags {@link #RTF_UP}, {@link #RTF_GATEWAY}, {@link #RTF_HOST}, {@link #RTF_STATIC}...
 */
public record Route(InAddr dst, int prefixLength, InAddr gateway, IfNet ifp, InAddr ifaddr, int mtu, int flags) {
    public static final int RTF_UP = 0x1;
    public static final int RTF_GATEWAY = 0x2;
    public static final int RTF_HOST = 0x4;
    public static final int RTF_REJECT = 0x8;
    public static final int RTF_STATIC = 0x800;
    public static final int RTF_BLACKHOLE = 0x1000;
    /** Made by the stack for an interface's own network. */
    public static final int RTF_CONNECTED = 0x40000000;

    /** The MTU to use: the route's, else the interface's. */
    public int effectiveMtu() {
        return mtu > 0 ? Math.min(mtu, ifp.mtu()) : ifp.mtu();
    }

    /** The FreeBSD-style flag letters (U, G, H, S...). */
    public String flagString() {
        StringBuilder sb = new StringBuilder();
        if ((flags & RTF_UP) != 0) sb.append('U');
        if ((flags & RTF_GATEWAY) != 0) sb.append('G');
        if ((flags & RTF_HOST) != 0) sb.append('H');
        if ((flags & RTF_REJECT) != 0) sb.append('R');
        if ((flags & RTF_BLACKHOLE) != 0) sb.append('B');
        if ((flags & RTF_STATIC) != 0) sb.append('S');
        return sb.toString();
    }
}
