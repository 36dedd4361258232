package org.protosw.internal.sw;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.protosw.socket.SocketConstants;
import org.protosw.spi.ProtoSwEntry;

/**
 * A protocol switch entry's description as read from its service properties
 * ({@link ProtoSwEntry}): the (domain, type, protocol) triple, the name and the
 * {@code PR_*} flags as a bit set.
 */
public record ProtoDescriptor(int domain, int type, int protocol, String name, int flags, List<String> uses) {
    public ProtoDescriptor(int domain, int type, int protocol, String name, int flags) {
        this(domain, type, protocol, name, flags, List.of());
    }

    public static final int PR_ATOMIC = 0x01;
    public static final int PR_ADDR = 0x02;
    public static final int PR_CONNREQUIRED = 0x04;
    public static final int PR_WANTRCVD = 0x08;
    public static final int PR_IMPLOPCL = 0x10;

    private static final Map<String, Integer> FLAG_BITS = new LinkedHashMap<>();

    static {
        FLAG_BITS.put(ProtoSwEntry.PR_ATOMIC, PR_ATOMIC);
        FLAG_BITS.put(ProtoSwEntry.PR_ADDR, PR_ADDR);
        FLAG_BITS.put(ProtoSwEntry.PR_CONNREQUIRED, PR_CONNREQUIRED);
        FLAG_BITS.put(ProtoSwEntry.PR_WANTRCVD, PR_WANTRCVD);
        FLAG_BITS.put(ProtoSwEntry.PR_IMPLOPCL, PR_IMPLOPCL);
    }

    /** Why a set of service properties does not describe a protocol switch entry. */
    public static final class InvalidDescriptor extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidDescriptor(String message) {
            super(message);
        }
    }

    public boolean has(int flag) {
        return (flags & flag) != 0;
    }

    /** The flags by their {@code PR_*} names, in declaration order. */
    public List<String> flagNames() {
        List<String> names = new ArrayList<>();
        FLAG_BITS.forEach((n, bit) -> {
            if ((flags & bit) != 0) {
                names.add(n);
            }
        });
        return names;
    }

    /** "inet/dgram/17", the way the triple is shown in messages. */
    public String triple() {
        return DomainNames.of(domain) + "/" + SocketConstants.typeName(type) + "/" + protocol;
    }

    @Override
    public String toString() {
        return name + " (" + triple() + ")";
    }

    /**
     * Reads and checks the {@code protosw.*} properties, as FreeBSD's
     * {@code protosw_register} checks a {@code struct protosw}: every mandatory entry present
     * and of a usable type, no unknown flag.
     *
     * @throws InvalidDescriptor with a message that names every problem found
     */
    public static ProtoDescriptor parse(Map<String, ?> props) throws InvalidDescriptor {
        List<String> missing = new ArrayList<>();
        List<String> wrong = new ArrayList<>();
        Integer domain = integer(props, ProtoSwEntry.DOMAIN, missing, wrong, 1);
        Integer type = integer(props, ProtoSwEntry.TYPE, missing, wrong, 1);
        Integer protocol = integer(props, ProtoSwEntry.PROTOCOL, missing, wrong, 0);
        String name = null;
        Object rawName = props.get(ProtoSwEntry.NAME);
        if (rawName == null) {
            missing.add(ProtoSwEntry.NAME);
        } else if (!(rawName instanceof String s) || s.isBlank() || !s.strip().equals(s) || s.chars().anyMatch(Character::isWhitespace)) {
            wrong.add(ProtoSwEntry.NAME + " must be a short name without spaces, got " + show(rawName));
        } else {
            name = s;
        }
        int flags = flags(props.get(ProtoSwEntry.FLAGS), wrong);
        List<String> uses = names(props.get(ProtoSwEntry.USES), wrong);
        if (!missing.isEmpty() || !wrong.isEmpty()) {
            StringBuilder sb = new StringBuilder();
            if (!missing.isEmpty()) {
                sb.append("missing mandatory ").append(missing.size() == 1 ? "property " : "properties ")
                        .append(String.join(", ", missing));
            }
            if (!wrong.isEmpty()) {
                if (!sb.isEmpty()) {
                    sb.append("; ");
                }
                sb.append(String.join("; ", wrong));
            }
            sb.append(" (a protocol switch is described by ").append(ProtoSwEntry.DOMAIN).append(", ")
                    .append(ProtoSwEntry.TYPE).append(", ").append(ProtoSwEntry.PROTOCOL).append(", ")
                    .append(ProtoSwEntry.NAME).append(" and optionally ").append(ProtoSwEntry.FLAGS).append(')');
            throw new InvalidDescriptor(sb.toString());
        }
        return new ProtoDescriptor(domain, type, protocol, name, flags, uses);
    }

    private static List<String> names(Object v, List<String> wrong) {
        if (v == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (v instanceof String s) {
            for (String part : s.split("[,\\s]+")) {
                if (!part.isEmpty()) {
                    out.add(part);
                }
            }
        } else if (v instanceof String[] arr) {
            out.addAll(List.of(arr));
        } else {
            wrong.add(ProtoSwEntry.USES + " must be a String or String[] of protocol names, got " + show(v));
        }
        return List.copyOf(out);
    }

    private static Integer integer(Map<String, ?> props, String key, List<String> missing, List<String> wrong, int min) {
        Object v = props.get(key);
        if (v == null) {
            missing.add(key);
            return null;
        }
        long n;
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            n = ((Number) v).longValue();
        } else if (v instanceof String s) {
            try {
                n = Long.parseLong(s.strip());
            } catch (NumberFormatException e) {
                wrong.add(key + " must be an integer, got " + show(v));
                return null;
            }
        } else {
            wrong.add(key + " must be an integer, got " + show(v));
            return null;
        }
        if (n < min || n > Integer.MAX_VALUE) {
            wrong.add(key + " must be at least " + min + ", got " + n);
            return null;
        }
        return (int) n;
    }

    private static int flags(Object v, List<String> wrong) {
        if (v == null) {
            return 0;
        }
        List<Object> items = new ArrayList<>();
        if (v instanceof String s) {
            for (String part : s.split("[,\\s]+")) {
                if (!part.isEmpty()) {
                    items.add(part);
                }
            }
        } else if (v instanceof String[] arr) {
            items.addAll(List.of((Object[]) arr));
        } else if (v instanceof Collection<?> c) {
            items.addAll(c);
        } else {
            wrong.add(ProtoSwEntry.FLAGS + " must be a String or String[], got " + show(v));
            return 0;
        }
        int bits = 0;
        for (Object item : items) {
            Integer bit = item instanceof String s ? FLAG_BITS.get(s.strip()) : null;
            if (bit == null) {
                wrong.add("unknown flag " + show(item) + " in " + ProtoSwEntry.FLAGS + " (known: "
                        + String.join(", ", FLAG_BITS.keySet()) + ")");
            } else {
                bits |= bit;
            }
        }
        return bits;
    }

    private static String show(Object v) {
        if (v == null) {
            return "null";
        }
        String text = v instanceof String s ? "'" + s + "'" : String.valueOf(v);
        return v.getClass().getSimpleName() + " " + text;
    }
}
