package org.protosw.ib.demo;

import org.protosw.socket.SockAddr;

/**
 * An AF_IB socket address (Linux's {@code struct sockaddr_ib}): a GID and a 64-bit service
 * ID, what the CM's REQ names and a listener is bound to. Written {@code [gid]:sid}, the
 * service ID in decimal or {@code 0x} hex: {@code [::ffff:192.0.2.2]:0x1000}.
 *
 * @param gid the node; {@link #ANY_GID} binds to every local GID
 * @param serviceId 0 asks bind for an ephemeral service ID
 */
public record IbSockAddr(IbGid gid, long serviceId) implements SockAddr {
    public static final IbGid ANY_GID = new IbGid(0, 0);

    public IbSockAddr {
        if (gid == null) {
            throw new IllegalArgumentException("GID is null");
        }
    }

    /** The address of a service on the node with the IPv4-mapped GID of {@code ipv4} (a.b.c.d). */
    public static IbSockAddr of(String gidText, long serviceId) {
        return new IbSockAddr(IbGid.parse(gidText), serviceId);
    }

    /** Parses {@code [gid]:sid}; {@code *} (what {@link #toString} writes for 0) stands for service ID 0. */
    public static IbSockAddr parse(String text) {
        if (text == null || !text.startsWith("[") || text.indexOf("]:") < 0) {
            throw new IllegalArgumentException("not an AF_IB address: '" + text + "' (expected [gid]:sid, e.g. [::ffff:192.0.2.2]:0x1000)");
        }
        int close = text.indexOf("]:");
        IbGid gid = IbGid.parse(text.substring(1, close));
        String sid = text.substring(close + 2);
        if (sid.equals("*")) {
            return new IbSockAddr(gid, 0);
        }
        try {
            long v = sid.startsWith("0x") || sid.startsWith("0X") ? Long.parseUnsignedLong(sid.substring(2), 16) : Long.parseUnsignedLong(sid);
            return new IbSockAddr(gid, v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a service ID: '" + sid + "' (expected a 64-bit number, decimal or 0x hex, or * for none)");
        }
    }

    @Override
    public int family() {
        return IbConstants.AF_IB;
    }

    @Override
    public String toString() {
        return "[" + (gid.equals(ANY_GID) ? "::" : gid.toString()) + "]:" + (serviceId == 0 ? "*" : "0x" + Long.toHexString(serviceId));
    }
}
