package org.protosw.socket;

import java.util.Objects;

/**
 * A socket option: a level ({@link SocketConstants#SOL_SOCKET} or a protocol number), a
 * name and the Java type of its value, as for {@code setsockopt(2)}. The standard options
 * are constants here; a protocol may define its own with {@link #of}.
 *
 * <p>Values: booleans for on/off options, {@code Integer} for sizes, counts and
 * durations in milliseconds; {@link #SO_LINGER} is seconds with -1 meaning off.
 *
 * @param <T> the value type
 */
public final class SockOpt<T> {
    // SOL_SOCKET options (FreeBSD numbers)
    public static final SockOpt<Boolean> SO_ACCEPTCONN = of(SocketConstants.SOL_SOCKET, 0x0002, "SO_ACCEPTCONN", Boolean.class);
    public static final SockOpt<Boolean> SO_REUSEADDR = of(SocketConstants.SOL_SOCKET, 0x0004, "SO_REUSEADDR", Boolean.class);
    public static final SockOpt<Boolean> SO_KEEPALIVE = of(SocketConstants.SOL_SOCKET, 0x0008, "SO_KEEPALIVE", Boolean.class);
    public static final SockOpt<Boolean> SO_DONTROUTE = of(SocketConstants.SOL_SOCKET, 0x0010, "SO_DONTROUTE", Boolean.class);
    public static final SockOpt<Boolean> SO_BROADCAST = of(SocketConstants.SOL_SOCKET, 0x0020, "SO_BROADCAST", Boolean.class);
    /** Seconds to linger on close with unsent data; -1 is off, 0 means reset on close. */
    public static final SockOpt<Integer> SO_LINGER = of(SocketConstants.SOL_SOCKET, 0x0080, "SO_LINGER", Integer.class);
    public static final SockOpt<Boolean> SO_REUSEPORT = of(SocketConstants.SOL_SOCKET, 0x0200, "SO_REUSEPORT", Boolean.class);
    public static final SockOpt<Integer> SO_SNDBUF = of(SocketConstants.SOL_SOCKET, 0x1001, "SO_SNDBUF", Integer.class);
    public static final SockOpt<Integer> SO_RCVBUF = of(SocketConstants.SOL_SOCKET, 0x1002, "SO_RCVBUF", Integer.class);
    public static final SockOpt<Integer> SO_SNDLOWAT = of(SocketConstants.SOL_SOCKET, 0x1003, "SO_SNDLOWAT", Integer.class);
    public static final SockOpt<Integer> SO_RCVLOWAT = of(SocketConstants.SOL_SOCKET, 0x1004, "SO_RCVLOWAT", Integer.class);
    /** Send timeout in milliseconds; 0 waits forever. */
    public static final SockOpt<Integer> SO_SNDTIMEO = of(SocketConstants.SOL_SOCKET, 0x1005, "SO_SNDTIMEO", Integer.class);
    /** Receive timeout in milliseconds; 0 waits forever. */
    public static final SockOpt<Integer> SO_RCVTIMEO = of(SocketConstants.SOL_SOCKET, 0x1006, "SO_RCVTIMEO", Integer.class);
    /** The pending error, cleared by reading it; 0 when none. */
    public static final SockOpt<Integer> SO_ERROR = of(SocketConstants.SOL_SOCKET, 0x1007, "SO_ERROR", Integer.class);
    public static final SockOpt<Integer> SO_TYPE = of(SocketConstants.SOL_SOCKET, 0x1008, "SO_TYPE", Integer.class);

    // IPPROTO_IP options
    public static final SockOpt<Boolean> IP_HDRINCL = of(SocketConstants.IPPROTO_IP, 2, "IP_HDRINCL", Boolean.class);
    public static final SockOpt<Integer> IP_TOS = of(SocketConstants.IPPROTO_IP, 3, "IP_TOS", Integer.class);
    public static final SockOpt<Integer> IP_TTL = of(SocketConstants.IPPROTO_IP, 4, "IP_TTL", Integer.class);
    /** Set the DF bit and report EMSGSIZE instead of fragmenting (path-MTU discovery). */
    public static final SockOpt<Boolean> IP_DONTFRAG = of(SocketConstants.IPPROTO_IP, 67, "IP_DONTFRAG", Boolean.class);

    private final int level;
    private final int name;
    private final String label;
    private final Class<T> type;

    private SockOpt(int level, int name, String label, Class<T> type) {
        this.level = level;
        this.name = name;
        this.label = Objects.requireNonNull(label);
        this.type = Objects.requireNonNull(type);
    }

    /** Defines an option; a protocol uses its protocol number as the level. */
    public static <T> SockOpt<T> of(int level, int name, String label, Class<T> type) {
        return new SockOpt<>(level, name, label, type);
    }

    public int level() {
        return level;
    }

    public int name() {
        return name;
    }

    public String label() {
        return label;
    }

    public Class<T> type() {
        return type;
    }

    /** Checks and converts a value given for this option. */
    public T cast(Object value) {
        return type.cast(value);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SockOpt<?> other && other.level == level && other.name == name;
    }

    @Override
    public int hashCode() {
        return level * 31 + name;
    }

    @Override
    public String toString() {
        return label;
    }
}
