package org.protosw.divert.internal;

import java.util.List;

import org.protosw.socket.InAddr;
import org.protosw.spi.Pfil;

/**
 * Reads the words of one rule ({@code NUMBER divert|tee PORT PROTO from ADDR [PORT] to ADDR
 * [PORT] [in|out] [via IF]}). Every error is one line naming the bad word and what is
 * accepted there.
 */
final class RuleParser {
    static final int MIN_NUMBER = 1;
    static final int MAX_NUMBER = 65534;

    private final List<String> words;
    private int i;

    private RuleParser(List<String> words) {
        this.words = words;
    }

    /** A rule from its number and the words after it. */
    static Rule parse(int number, List<String> body) {
        return new RuleParser(body).rule(number);
    }

    /** A rule number as {@code rule add} and {@code rule delete} take it. */
    static int number(String w) {
        return integer(w, "rule number", MIN_NUMBER, MAX_NUMBER);
    }

    private Rule rule(int number) {
        String a = next("action (accepted: divert, tee)");
        Rule.Action action = switch (a) {
            case "divert" -> Rule.Action.DIVERT;
            case "tee" -> Rule.Action.TEE;
            default -> throw new IllegalArgumentException("unknown action '" + a + "' (accepted: divert, tee)");
        };
        int port = integer(next("divert port after " + a + " (accepted: 1 to 65535)"), "divert port", 1, 65535);
        int proto = proto(next("protocol (accepted: ip, icmp, tcp, udp or a number 0 to 255)"));
        expect("from");
        int[] from = addr(next("source address after from (accepted: any, a.b.c.d, a.b.c.d/len)"));
        int sport = optionalPort(proto);
        expect("to");
        int[] to = addr(next("destination address after to (accepted: any, a.b.c.d, a.b.c.d/len)"));
        int dport = optionalPort(proto);
        int dirs = Pfil.IN | Pfil.OUT;
        String via = null;
        while (i < words.size()) {
            String w = words.get(i++);
            switch (w) {
                case "in" -> dirs = Pfil.IN;
                case "out" -> dirs = Pfil.OUT;
                case "via" -> via = next("interface name after via");
                default -> throw new IllegalArgumentException("unexpected '" + w + "' after the destination (accepted: in, out, via IFNAME)");
            }
        }
        return new Rule(number, action, port, proto, from[0], from[1], sport, to[0], to[1], dport, dirs, via);
    }

    private String next(String what) {
        if (i >= words.size()) {
            throw new IllegalArgumentException("missing " + what);
        }
        return words.get(i++);
    }

    private void expect(String keyword) {
        String w = next("'" + keyword + "'");
        if (!w.equals(keyword)) {
            throw new IllegalArgumentException("expected '" + keyword + "', got '" + w + "'");
        }
    }

    /** A port after an address, if the next word is a number; only tcp and udp have ports. */
    private int optionalPort(int proto) {
        if (i >= words.size()) {
            return Rule.ANY_PORT;
        }
        String w = words.get(i);
        if (w.isEmpty() || !Character.isDigit(w.charAt(0))) {
            return Rule.ANY_PORT;
        }
        if (proto != 6 && proto != 17) {
            throw new IllegalArgumentException("port '" + w + "' given for protocol " + Rule.protoName(proto)
                    + " (ports are accepted only with tcp or udp)");
        }
        i++;
        return integer(w, "port", 1, 65535);
    }

    private static int proto(String w) {
        return switch (w) {
            case "ip", "all" -> Rule.ANY_PROTO;
            case "icmp" -> 1;
            case "tcp" -> 6;
            case "udp" -> 17;
            default -> {
                if (!w.chars().allMatch(Character::isDigit) || w.isEmpty()) {
                    throw new IllegalArgumentException("unknown protocol '" + w + "' (accepted: ip, icmp, tcp, udp or a number 0 to 255)");
                }
                yield integer(w, "protocol", 0, 255);
            }
        };
    }

    /** {address bits, prefix length}. */
    private static int[] addr(String w) {
        if (w.equals("any")) {
            return new int[] {0, 0};
        }
        String a = w;
        int len = 32;
        int slash = w.indexOf('/');
        if (slash >= 0) {
            a = w.substring(0, slash);
            String l = w.substring(slash + 1);
            if (l.isEmpty() || l.length() > 2 || !l.chars().allMatch(Character::isDigit) || Integer.parseInt(l) > 32) {
                throw new IllegalArgumentException("bad prefix length '" + l + "' in '" + w + "' (accepted: 0 to 32)");
            }
            len = Integer.parseInt(l);
        }
        try {
            return new int[] {InAddr.parse(a).bits(), len};
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad address '" + w + "' (accepted: any, a.b.c.d, a.b.c.d/len)");
        }
    }

    private static int integer(String w, String what, int min, int max) {
        long v;
        try {
            v = Long.parseLong(w);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + w + "' is not a number for " + what + " (accepted: " + min + " to " + max + ")");
        }
        if (v < min || v > max) {
            throw new IllegalArgumentException(what + " " + v + " is out of range (accepted: " + min + " to " + max + ")");
        }
        return (int) v;
    }
}
