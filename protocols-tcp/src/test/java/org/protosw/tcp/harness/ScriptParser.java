package org.protosw.tcp.harness;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

import org.protosw.wire.TcpHeader;

/**
 * Reads a segment script. Each line is a time and an action:
 *
 * <pre>
 * 0      socket s
 * +0     bind s 8080
 * +0     listen s 1
 * +0     &lt; S 0:0(0) win 65535 &lt;mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7&gt;
 * +0     &gt; S. 0:0(0) ack 1 win * &lt;mss 1460,sackOK,TS val * ecr 100,nop,wscale *&gt;
 * +.1    &lt; . 1:1(0) ack 1 win 1024 &lt;nop,nop,TS val 101 ecr *&gt;
 * +0     accept s c
 * +.04~+.06 &gt; . 1:1(0) ack 101     # a range of acceptable times
 * +0     quiet                       # nothing was sent meanwhile
 * </pre>
 *
 * Times are seconds: absolute from the start, or {@code +} relative to the previous line.
 * {@code #} starts a comment. Errors name the line and what is accepted.
 *
 * <p>A segment the stack must send ({@code >}) states its whole header: the window is
 * required, and options left out mean the segment carries none. A wildcard there ({@code win
 * *}, {@code wscale *}, {@code ecr *}...) needs a comment on its line saying why the value
 * cannot be known; only {@code TS val *} (the stack's clock) goes without one.
 *
 * <p>Whatever the text, {@link #parse} either returns steps whose every number fits the
 * header field it will fill, or throws an {@link IllegalArgumentException} that names the
 * line; input is quoted with control characters escaped. {@code ScriptParserFuzzTest}
 * holds it to that.
 */
final class ScriptParser {
    /** Seconds as scripts write them: no sign, exponent, hex, NaN or Infinity. */
    private static final Pattern SECONDS = Pattern.compile("[0-9]+(\\.[0-9]*)?|\\.[0-9]+");
    private static final long MAX_U32 = 0xffffffffL;

    private ScriptParser() {
    }

    static List<Step> parse(String text) {
        List<Step> steps = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int n = 1; n <= lines.length; n++) {
            String raw = lines[n - 1];
            int hash = raw.indexOf('#');
            String line = (hash >= 0 ? raw.substring(0, hash) : raw).strip();
            if (line.isEmpty()) {
                continue;
            }
            int sp = firstWhitespace(line);
            String timeWord = sp < 0 ? line : line.substring(0, sp);
            String rest = sp < 0 ? "" : line.substring(sp + 1).strip();
            if (rest.isEmpty()) {
                throw fail(n, "'" + shown(timeWord) + "' is a time with no action (accepted: < SEGMENT, > SEGMENT, quiet, or a call)");
            }
            boolean commented = hash >= 0 && !raw.substring(hash + 1).isBlank();
            steps.add(action(when(timeWord, n), rest, commented, n));
        }
        return steps;
    }

    /** Scripts align columns with spaces or tabs. */
    private static int firstWhitespace(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isWhitespace(s.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    private static Step.When when(String w, int line) {
        String[] parts = w.split("~", -1);
        if (parts.length > 2) {
            throw fail(line, "bad time '" + shown(w) + "' (accepted: T, +T or T~T2 in seconds)");
        }
        boolean relative = parts[0].startsWith("+");
        if (parts.length == 2 && parts[1].startsWith("+") != relative) {
            throw fail(line, "time range " + shown(w) + " mixes absolute and relative times");
        }
        double a = time(parts[0], line);
        double b = parts.length == 2 ? time(parts[1], line) : a;
        if (b < a) {
            throw fail(line, "time range " + shown(w) + " ends before it starts");
        }
        return new Step.When(a, b, relative);
    }

    private static double time(String w, int line) {
        String digits = w.startsWith("+") ? w.substring(1) : w;
        if (!SECONDS.matcher(digits).matches()) {
            throw fail(line, "bad time '" + shown(w) + "' (accepted: T, +T or T~T2 in seconds, e.g. 0.1, +.05, 1~1.5)");
        }
        double t = Double.parseDouble(digits);
        if (t > 86_400) {
            throw fail(line, "time '" + shown(w) + "' is more than a day: scripts run in seconds");
        }
        return t;
    }

    private static Step action(Step.When t, String rest, boolean commented, int line) {
        if (rest.startsWith("<")) {
            return new Step.Inject(t, segment(rest.substring(1).strip(), line), line);
        }
        if (rest.startsWith(">")) {
            return new Step.Expect(t, expected(rest.substring(1).strip(), commented, line), line);
        }
        if (rest.equals("quiet")) {
            return new Step.Quiet(t, line);
        }
        String expect = null;
        int eq = rest.indexOf(" = ");
        if (eq >= 0) {
            expect = rest.substring(eq + 3).strip();
            rest = rest.substring(0, eq).strip();
        }
        boolean async = rest.endsWith("&");
        if (async) {
            rest = rest.substring(0, rest.length() - 1).strip();
        }
        if (rest.isEmpty()) {
            throw fail(line, "a call with no verb (accepted: e.g. 'socket s', 'accept s c &', 'write c 100 = 100')");
        }
        List<String> words = new ArrayList<>(Arrays.asList(rest.split("\\s+")));
        String verb = words.remove(0);
        return new Step.Call(t, verb, List.copyOf(words), expect, async, line);
    }

    /**
     * A segment the stack must send: as {@link #segment} but with the window required, no
     * options meaning none, and a wildcard only beside a comment that says why.
     */
    static ScriptSegment expected(String s, boolean commented, int line) {
        ScriptSegment seg = segment(s, line);
        if (!seg.winGiven()) {
            throw fail(line, "an expected segment states its window: 'win N' (or 'win *' with a comment saying why)");
        }
        if (!commented) {
            if (seg.win() == null) {
                throw fail(line, "'win *' needs a comment on its line saying why the window cannot be known");
            }
            for (ScriptSegment.Option o : seg.options() == null ? List.<ScriptSegment.Option>of() : seg.options()) {
                boolean wild = switch (o.kind()) {
                    case "mss", "wscale" -> o.a() == null;
                    case "TS" -> o.b() == null; // TS val * is the stack's clock: always allowed
                    default -> false;
                };
                if (wild) {
                    throw fail(line, "the wildcard in option '" + o + "' needs a comment on its line saying why");
                }
            }
        }
        return seg.options() == null ? seg.withOptions(List.of()) : seg;
    }

    /** {@code FLAGS SEQ:END(LEN) [ack N] [win N|*] [<options>]}. */
    static ScriptSegment segment(String s, int line) {
        String opts = null;
        int lt = s.indexOf('<');
        if (lt >= 0) {
            int gt = s.lastIndexOf('>');
            if (gt < lt) {
                throw fail(line, "options not closed with '>'");
            }
            if (!s.substring(gt + 1).isBlank()) {
                throw fail(line, "'" + shown(s.substring(gt + 1).strip()) + "' after the options (they end a segment)");
            }
            opts = s.substring(lt + 1, gt).strip();
            s = s.substring(0, lt).strip();
        }
        String[] w = s.split("\\s+");
        if (w.length < 2) {
            throw fail(line, "a segment needs flags and SEQ:END(LEN), e.g. 'S. 0:0(0) ack 1'");
        }
        int flags = flags(w[0], line);
        String range = w[1];
        int colon = range.indexOf(':');
        int paren = range.indexOf('(');
        if (colon < 0 || paren < colon || !range.endsWith(")")) {
            throw fail(line, "bad sequence range '" + shown(range) + "' (accepted: START:END(LEN))");
        }
        long seq;
        long end;
        int len;
        try {
            seq = unsigned(range.substring(0, colon));
            end = unsigned(range.substring(colon + 1, paren));
            len = Math.toIntExact(unsigned(range.substring(paren + 1, range.length() - 1)));
        } catch (NumberFormatException | ArithmeticException e) {
            throw fail(line, "bad sequence range '" + shown(range) + "' (accepted: START:END(LEN), numbers 0 to 2^32-1)");
        }
        if (end - seq != len) {
            throw fail(line, "sequence range " + shown(range) + " does not add up");
        }
        if (end > MAX_U32 || len > 65_535) {
            throw fail(line, "sequence range " + shown(range) + " does not fit a segment (END up to 2^32-1, LEN up to 65535)");
        }
        Long ack = null;
        Integer win = null;
        boolean winGiven = false;
        for (int i = 2; i < w.length; i++) {
            switch (w[i]) {
                case "ack" -> ack = number(need(w, ++i, "ack", line), "ack", MAX_U32, line);
                case "win" -> {
                    String v = need(w, ++i, "win", line);
                    win = v.equals("*") ? null : (int) number(v, "win", 65_535, line);
                    winGiven = true;
                }
                default -> throw fail(line, "unexpected '" + shown(w[i]) + "' in a segment (accepted: ack N, win N|*, <options>)");
            }
        }
        return new ScriptSegment(flags, seq, len, ack, win, winGiven, opts == null ? null : options(opts, line), line);
    }

    private static long number(String v, String what, long max, int line) {
        try {
            long n = unsigned(v);
            if (n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw fail(line, "'" + shown(v) + "' after '" + what + "' is not a number (0 to " + (max == MAX_U32 ? "2^32-1" : max)
                    + (what.equals("win") ? ", or *" : "") + ")");
        }
    }

    /** Decimal digits only: Long.parseLong would take a sign. */
    private static long unsigned(String v) {
        if (v.isEmpty() || v.length() > 10 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new NumberFormatException(v);
        }
        return Long.parseLong(v);
    }

    private static String need(String[] w, int i, String what, int line) {
        if (i >= w.length) {
            throw fail(line, "'" + what + "' needs a value");
        }
        return w[i];
    }

    private static int flags(String w, int line) {
        int f = 0;
        for (char c : w.toCharArray()) {
            f |= switch (c) {
                case 'S' -> TcpHeader.SYN;
                case 'F' -> TcpHeader.FIN;
                case 'R' -> TcpHeader.RST;
                case 'P' -> TcpHeader.PSH;
                case 'U' -> TcpHeader.URG;
                case '.' -> TcpHeader.ACK;
                default -> throw fail(line, "bad flag '" + shown(String.valueOf(c)) + "' in '" + shown(w) + "' (accepted: S F R P U .)");
            };
        }
        return f;
    }

    private static List<ScriptSegment.Option> options(String s, int line) {
        List<ScriptSegment.Option> out = new ArrayList<>();
        if (s.isEmpty()) {
            return out;
        }
        for (String o : s.split(",")) {
            String[] w = o.strip().split("\\s+");
            switch (w[0]) {
                case "nop", "eol", "sackOK" -> {
                    if (w.length != 1) {
                        throw fail(line, "option '" + w[0] + "' takes no value, got '" + shown(o.strip()) + "'");
                    }
                    out.add(new ScriptSegment.Option(w[0], null, null));
                }
                case "mss", "wscale" -> {
                    if (w.length > 2) {
                        throw fail(line, "option " + w[0] + " takes one value, got '" + shown(o.strip()) + "'");
                    }
                    out.add(new ScriptSegment.Option(w[0], value(w, 1, w[0].equals("mss") ? 65_535 : 255, line), null));
                }
                case "TS" -> {
                    if (w.length != 5 || !w[1].equals("val") || !w[3].equals("ecr")) {
                        throw fail(line, "bad timestamp option '" + shown(o.strip()) + "' (accepted: TS val N ecr N, * for any)");
                    }
                    out.add(new ScriptSegment.Option("TS", value(w, 2, MAX_U32, line), value(w, 4, MAX_U32, line)));
                }
                case "sack" -> {
                    if (w.length < 2 || w.length > 5) {
                        throw fail(line, "bad SACK option '" + shown(o.strip()) + "' (accepted: sack A:B, one to four blocks)");
                    }
                    for (int i = 1; i < w.length; i++) {
                        out.add(sackBlock(w[i], line));
                    }
                }
                default -> throw fail(line, "unknown option '" + shown(w[0]) + "' (accepted: mss, wscale, sackOK, TS, sack, nop, eol)");
            }
        }
        return out;
    }

    /** Found by ScriptParserFuzzTest: a block that was not two numbers threw a NumberFormatException naming no line. */
    private static ScriptSegment.Option sackBlock(String block, int line) {
        String[] ab = block.split(":", -1);
        try {
            if (ab.length != 2) {
                throw new NumberFormatException(block);
            }
            long left = unsigned(ab[0]);
            long right = unsigned(ab[1]);
            // found by .ci/fuzz: ten digits passed, so an edge over 2^32-1 reached the header
            if (left > MAX_U32 || right > MAX_U32) {
                throw new NumberFormatException(block);
            }
            return new ScriptSegment.Option("sack", left, right);
        } catch (NumberFormatException e) {
            throw fail(line, "bad SACK block '" + shown(block) + "' (accepted: LEFT:RIGHT, numbers 0 to 2^32-1)");
        }
    }

    private static Long value(String[] w, int i, long max, int line) {
        String v = need(w, i, w[0], line);
        if (v.equals("*")) {
            return null;
        }
        try {
            long n = unsigned(v);
            if (n > max) {
                throw new NumberFormatException(v);
            }
            return n;
        } catch (NumberFormatException e) {
            throw fail(line, "'" + shown(v) + "' is not a number from 0 to " + (max == MAX_U32 ? "2^32-1" : max) + " (or *) in option " + w[0]);
        }
    }

    /**
     * Input as a message may quote it: control and other invisible characters escaped (found
     * by ScriptParserFuzzTest: a carriage return or escape sequence garbled the message).
     */
    static String shown(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(c -> {
            if (c >= 0x20 && c < 0x7f) {
                b.append((char) c);
            } else if (Character.isLetterOrDigit(c)) {
                b.appendCodePoint(c);
            } else {
                b.append(String.format("\\u%04x", c));
            }
        });
        return b.toString();
    }

    static IllegalArgumentException fail(int line, String what) {
        return new IllegalArgumentException("line " + line + ": " + what);
    }
}
