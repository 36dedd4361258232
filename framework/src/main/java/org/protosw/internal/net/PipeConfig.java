package org.protosw.internal.net;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The configuration of one dummynet-style pipe, as {@code dnctl pipe N config ...} sets it.
 *
 * @param bandwidth  bit/s, 0 for unlimited (no serialization delay, no queueing)
 * @param delay      propagation delay in ms
 * @param plr        packet loss rate, the probability that a packet is dropped on entry
 * @param dup        probability that a packet is delivered twice (the second time as a copy)
 * @param reorder    probability that a packet is held back {@code reorderGap} ms more, so that
 *                   later packets overtake it
 * @param reorderGap the extra hold-back of a reordered packet, in ms
 * @param corrupt    probability that one random bit of the packet is flipped (in a copy)
 * @param queueSlots the queue limit in packets, or 0 when {@code queueBytes} is the limit
 * @param queueBytes the queue limit in bytes, or 0 when {@code queueSlots} is the limit
 * @param seed       seed of the pipe's random generator, for runs that repeat; empty for a
 *                   fresh one each time the pipe is configured
 */
public record PipeConfig(long bandwidth, int delay, double plr, double dup, double reorder, int reorderGap,
        double corrupt, int queueSlots, long queueBytes, OptionalLong seed) {

    public static final long MAX_BANDWIDTH = 100_000_000_000L;
    public static final int MAX_DELAY = 60_000;
    public static final int DEFAULT_QUEUE_SLOTS = 50;
    public static final int MAX_QUEUE_SLOTS = 10_000;
    public static final long MIN_QUEUE_BYTES = 1024;
    public static final long MAX_QUEUE_BYTES = 64L << 20;
    public static final int DEFAULT_REORDER_GAP = 10;

    /** What a new pipe starts with, as in dummynet: no limit, no delay, no loss, 50 slots. */
    public static final PipeConfig DEFAULT = new PipeConfig(0, 0, 0, 0, 0, DEFAULT_REORDER_GAP, 0,
            DEFAULT_QUEUE_SLOTS, 0, OptionalLong.empty());

    static final String KEYWORDS = "bw, delay, plr, dup, reorder [gap], corrupt, queue, seed";
    static final String BW_FORMS = "bw unlimited, bw 0, bw 100000bit/s, bw 512Kbit/s, bw 10Mbit/s, bw 1Gbit/s,"
            + " bw 1MByte/s (up to 100Gbit/s)";
    static final String DELAY_FORMS = "delay 50 or delay 50ms (0 to " + MAX_DELAY + " ms)";
    static final String GAP_FORMS = "reorder 0.05 gap 10ms (gap 1 to " + MAX_DELAY + " ms)";
    static final String QUEUE_FORMS = "queue 50 (packets, 1 to " + MAX_QUEUE_SLOTS
            + ") or queue 100KB (bytes, 1KB to 64MB; units B, KB, MB, Kbytes, Mbytes)";
    static final String SEED_FORMS = "seed 42 (an integer)";

    public PipeConfig {
        if (reorder == 0) {
            // without reordering the gap means nothing, and pipe show does not print it: keep
            // the default, so that what show prints configures the same pipe (a fuzz finding:
            // "reorder 0 gap 5ms" kept 5 and came back as 10)
            reorderGap = DEFAULT_REORDER_GAP;
        }
        if (bandwidth < 0 || bandwidth > MAX_BANDWIDTH) {
            throw new IllegalArgumentException("pipe config: bandwidth " + bandwidth + " bit/s out of range (accepted: 0 for unlimited, or 1 to "
                    + MAX_BANDWIDTH + " bit/s)");
        }
        if (delay < 0 || delay > MAX_DELAY) {
            throw new IllegalArgumentException("pipe config: delay " + delay + " ms out of range (accepted: 0 to " + MAX_DELAY + " ms)");
        }
        checkProbability("plr", plr);
        checkProbability("dup", dup);
        checkProbability("reorder", reorder);
        checkProbability("corrupt", corrupt);
        if (reorderGap < 1 || reorderGap > MAX_DELAY) {
            throw new IllegalArgumentException("pipe config: reorder gap " + reorderGap + " ms out of range (accepted: 1 to " + MAX_DELAY + " ms)");
        }
        boolean slots = queueSlots != 0;
        boolean bytes = queueBytes != 0;
        if (slots == bytes) {
            throw new IllegalArgumentException("pipe config: give the queue limit either in packets or in bytes, not "
                    + (slots ? "both" : "neither") + " (accepted: " + QUEUE_FORMS + ")");
        }
        if (slots && (queueSlots < 1 || queueSlots > MAX_QUEUE_SLOTS)) {
            throw new IllegalArgumentException("pipe config: queue of " + queueSlots + " packets out of range (accepted: 1 to "
                    + MAX_QUEUE_SLOTS + " packets)");
        }
        if (bytes && (queueBytes < MIN_QUEUE_BYTES || queueBytes > MAX_QUEUE_BYTES)) {
            throw new IllegalArgumentException("pipe config: queue of " + queueBytes + " bytes out of range (accepted: "
                    + MIN_QUEUE_BYTES + " to " + MAX_QUEUE_BYTES + " bytes)");
        }
        if (seed == null) {
            throw new IllegalArgumentException("pipe config: seed is null (use OptionalLong.empty() for none)");
        }
    }

    private static void checkProbability(String what, double v) {
        if (!(v >= 0.0 && v <= 1.0)) {
            throw new IllegalArgumentException("pipe config: " + what + " " + v + " out of range (accepted: a probability from 0 to 1)");
        }
    }

    public PipeConfig withBandwidth(long bitsPerSecond) {
        return new PipeConfig(bitsPerSecond, delay, plr, dup, reorder, reorderGap, corrupt, queueSlots, queueBytes, seed);
    }

    public PipeConfig withDelay(int ms) {
        return new PipeConfig(bandwidth, ms, plr, dup, reorder, reorderGap, corrupt, queueSlots, queueBytes, seed);
    }

    public PipeConfig withPlr(double p) {
        return new PipeConfig(bandwidth, delay, p, dup, reorder, reorderGap, corrupt, queueSlots, queueBytes, seed);
    }

    public PipeConfig withDup(double p) {
        return new PipeConfig(bandwidth, delay, plr, p, reorder, reorderGap, corrupt, queueSlots, queueBytes, seed);
    }

    public PipeConfig withReorder(double p, int gapMs) {
        return new PipeConfig(bandwidth, delay, plr, dup, p, gapMs, corrupt, queueSlots, queueBytes, seed);
    }

    public PipeConfig withCorrupt(double p) {
        return new PipeConfig(bandwidth, delay, plr, dup, reorder, reorderGap, p, queueSlots, queueBytes, seed);
    }

    /** Queue limit in packets. */
    public PipeConfig withQueue(int slots) {
        return new PipeConfig(bandwidth, delay, plr, dup, reorder, reorderGap, corrupt, slots, 0, seed);
    }

    /** Queue limit in bytes. */
    public PipeConfig withQueueBytes(long bytes) {
        return new PipeConfig(bandwidth, delay, plr, dup, reorder, reorderGap, corrupt, 0, bytes, seed);
    }

    public PipeConfig withSeed(long s) {
        return new PipeConfig(bandwidth, delay, plr, dup, reorder, reorderGap, corrupt, queueSlots, queueBytes, OptionalLong.of(s));
    }

    /**
     * Reads the words after {@code pipe N config}, starting from {@link #DEFAULT} (as dnctl,
     * what is not given is reset): {@code bw 10Mbit/s delay 50ms plr 0.01 dup 0.001
     * reorder 0.05 gap 10ms corrupt 0.001 queue 50|100KB seed 42}.
     *
     * @throws IllegalArgumentException with a one-line message naming the bad word and the
     *                                  accepted forms
     */
    public static PipeConfig parse(List<String> words) {
        PipeConfig c = DEFAULT;
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < words.size(); i++) {
            String key = words.get(i).toLowerCase(Locale.ROOT);
            String canonical = key.equals("bandwidth") ? "bw" : key;
            if (!key.equals("gap") && isKeyword(canonical) && !seen.add(canonical)) {
                throw new IllegalArgumentException("pipe config: \"" + words.get(i) + "\" given twice (accepted: each of " + KEYWORDS + " once)");
            }
            switch (canonical) {
                case "bw" -> c = c.withBandwidth(parseBandwidth(value(words, ++i, "bw", BW_FORMS)));
                case "delay" -> c = c.withDelay(parseMillis(value(words, ++i, "delay", DELAY_FORMS), 0, "delay", DELAY_FORMS));
                case "plr" -> c = c.withPlr(parseProbability(value(words, ++i, "plr", probForms("plr", "0.01")), "plr", "0.01"));
                case "dup" -> c = c.withDup(parseProbability(value(words, ++i, "dup", probForms("dup", "0.001")), "dup", "0.001"));
                case "corrupt" -> c = c.withCorrupt(parseProbability(value(words, ++i, "corrupt", probForms("corrupt", "0.001")),
                        "corrupt", "0.001"));
                case "reorder" -> {
                    double p = parseProbability(value(words, ++i, "reorder", GAP_FORMS), "reorder", "0.05");
                    int gap = DEFAULT_REORDER_GAP;
                    if (i + 1 < words.size() && words.get(i + 1).equalsIgnoreCase("gap")) {
                        i++;
                        gap = parseMillis(value(words, ++i, "gap", GAP_FORMS), 1, "gap", GAP_FORMS);
                    }
                    c = c.withReorder(p, gap);
                }
                case "gap" -> throw new IllegalArgumentException("pipe config: \"" + words.get(i) + "\" must follow reorder (accepted: "
                        + GAP_FORMS + ")");
                case "queue" -> {
                    String v = value(words, ++i, "queue", QUEUE_FORMS);
                    long bytes = parseQueueBytes(v);
                    c = bytes > 0 ? c.withQueueBytes(bytes) : c.withQueue(parseQueueSlots(v));
                }
                case "seed" -> {
                    String v = value(words, ++i, "seed", SEED_FORMS);
                    try {
                        c = c.withSeed(Long.parseLong(v));
                    } catch (NumberFormatException e) {
                        throw bad("seed", v, SEED_FORMS);
                    }
                }
                default -> throw new IllegalArgumentException("pipe config: unknown word \"" + words.get(i) + "\" (accepted: "
                        + KEYWORDS + ")");
            }
        }
        return c;
    }

    /** Same as {@link #parse(List)} for a line of words separated by blanks. */
    public static PipeConfig parse(String line) {
        String t = line.strip();
        return parse(t.isEmpty() ? List.of() : List.of(t.split("\\s+")));
    }

    private static boolean isKeyword(String k) {
        return switch (k) {
            case "bw", "delay", "plr", "dup", "reorder", "corrupt", "queue", "seed" -> true;
            default -> false;
        };
    }

    private static String probForms(String key, String example) {
        return key + " followed by a probability from 0 to 1, e.g. " + key + " " + example;
    }

    private static String value(List<String> words, int i, String key, String forms) {
        if (i >= words.size()) {
            throw new IllegalArgumentException("pipe config: \"" + key + "\" needs a value (accepted: " + forms + ")");
        }
        return words.get(i);
    }

    private static IllegalArgumentException bad(String key, String word, String forms) {
        return new IllegalArgumentException("pipe config: bad " + key + " \"" + word + "\" (accepted: " + forms + ")");
    }

    private static final Pattern NUMBER_UNIT = Pattern.compile("(\\d+(?:\\.\\d+)?)([A-Za-z/]*)");
    private static final Pattern MILLIS = Pattern.compile("(\\d{1,9})(ms)?", Pattern.CASE_INSENSITIVE);
    private static final Pattern SIZE = Pattern.compile("(\\d{1,12})(b|bytes|kb|kbytes|mb|mbytes)", Pattern.CASE_INSENSITIVE);

    static long parseBandwidth(String w) {
        if (w.equalsIgnoreCase("unlimited")) {
            return 0;
        }
        Matcher m = NUMBER_UNIT.matcher(w);
        if (!m.matches()) {
            throw bad("bw", w, BW_FORMS);
        }
        long unit = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "", "bit/s" -> 1L;
            case "kbit/s" -> 1_000L;
            case "mbit/s" -> 1_000_000L;
            case "gbit/s" -> 1_000_000_000L;
            case "byte/s" -> 8L;
            case "kbyte/s" -> 8_000L;
            case "mbyte/s" -> 8_000_000L;
            case "gbyte/s" -> 8_000_000_000L;
            default -> throw bad("bw", w, BW_FORMS);
        };
        BigDecimal bits = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit)).setScale(0, RoundingMode.DOWN);
        if (bits.compareTo(BigDecimal.valueOf(MAX_BANDWIDTH)) > 0 || (bits.signum() == 0 && new BigDecimal(m.group(1)).signum() != 0)) {
            throw bad("bw", w, BW_FORMS);
        }
        return bits.longValueExact();
    }

    private static int parseMillis(String w, int min, String key, String forms) {
        Matcher m = MILLIS.matcher(w);
        if (!m.matches()) {
            throw bad(key, w, forms);
        }
        long v = Long.parseLong(m.group(1));
        if (v < min || v > MAX_DELAY) {
            throw bad(key, w, forms);
        }
        return (int) v;
    }

    private static double parseProbability(String w, String key, String example) {
        double v;
        try {
            v = Double.parseDouble(w);
        } catch (NumberFormatException e) {
            throw bad(key, w, probForms(key, example));
        }
        if (!(v >= 0.0 && v <= 1.0) || !w.matches("\\d*\\.?\\d+(?:[eE]-?\\d+)?")) {
            throw bad(key, w, probForms(key, example));
        }
        return v;
    }

    /** The byte limit a queue word gives, or 0 when it is a packet count. */
    private static long parseQueueBytes(String w) {
        Matcher m = SIZE.matcher(w);
        if (!m.matches()) {
            return 0;
        }
        long n = Long.parseLong(m.group(1));
        long mult = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "b", "bytes" -> 1L;
            case "kb", "kbytes" -> 1024L;
            default -> 1024L * 1024L;
        };
        if (n > MAX_QUEUE_BYTES / mult || n * mult < MIN_QUEUE_BYTES) {
            throw bad("queue", w, QUEUE_FORMS);
        }
        return n * mult;
    }

    private static int parseQueueSlots(String w) {
        if (!w.matches("\\d{1,9}")) {
            throw bad("queue", w, QUEUE_FORMS);
        }
        long n = Long.parseLong(w);
        if (n < 1 || n > MAX_QUEUE_SLOTS) {
            throw bad("queue", w, QUEUE_FORMS);
        }
        return (int) n;
    }

    /** The words that {@link #parse(List)} turns back into this configuration. */
    public List<String> toWords() {
        List<String> w = new ArrayList<>();
        w.add("bw");
        w.add(formatBandwidth(bandwidth));
        w.add("delay");
        w.add(delay + "ms");
        addProbability(w, "plr", plr);
        addProbability(w, "dup", dup);
        if (reorder > 0) {
            addProbability(w, "reorder", reorder);
            w.add("gap");
            w.add(reorderGap + "ms");
        }
        addProbability(w, "corrupt", corrupt);
        w.add("queue");
        w.add(queueBytes > 0 ? formatBytes(queueBytes) : Integer.toString(queueSlots));
        if (seed.isPresent()) {
            w.add("seed");
            w.add(Long.toString(seed.getAsLong()));
        }
        return w;
    }

    private static void addProbability(List<String> w, String key, double p) {
        if (p > 0) {
            w.add(key);
            w.add(BigDecimal.valueOf(p).stripTrailingZeros().toPlainString());
        }
    }

    /** {@code 10Mbit/s}, {@code 512Kbit/s}, {@code unlimited}: the largest unit that is exact. */
    public static String formatBandwidth(long bps) {
        if (bps == 0) {
            return "unlimited";
        }
        if (bps % 1_000_000_000L == 0) {
            return bps / 1_000_000_000L + "Gbit/s";
        }
        if (bps % 1_000_000L == 0) {
            return bps / 1_000_000L + "Mbit/s";
        }
        if (bps % 1_000L == 0) {
            return bps / 1_000L + "Kbit/s";
        }
        return bps + "bit/s";
    }

    static String formatBytes(long b) {
        if (b % (1024 * 1024) == 0) {
            return b / (1024 * 1024) + "MB";
        }
        if (b % 1024 == 0) {
            return b / 1024 + "KB";
        }
        return b + "B";
    }

    /** The configuration in dnctl words, e.g. {@code bw 10Mbit/s delay 50ms plr 0.01 queue 50}. */
    @Override
    public String toString() {
        return String.join(" ", toWords());
    }
}
