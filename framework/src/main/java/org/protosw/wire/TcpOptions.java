package org.protosw.wire;

/**
 * Reads TCP options (RFC 9293 §3.2, RFC 7323, RFC 2018) without allocating, and writes them.
 *
 * <p>Either step through them with {@link #next()} (which answers the kind of each option,
 * {@link #END} or {@link #MALFORMED}) and read the current one's value, or call
 * {@link #parse()} once and read the summary ({@link #mss()}, {@link #windowScale()}...).
 * An option is malformed when its length byte is missing, below 2, runs past the options,
 * or does not fit its kind (MSS 4, window scale 3, SACK-permitted 2, timestamps 10, SACK
 * 2 + 8n with 1 ≤ n ≤ 4). Unknown kinds with a sane length are skipped, as RFC 9293 asks.
 * One instance may be reused; it is not thread-safe.
 */
public final class TcpOptions {
    public static final int KIND_EOL = 0;
    public static final int KIND_NOP = 1;
    public static final int KIND_MSS = 2;
    public static final int KIND_WINDOW_SCALE = 3;
    public static final int KIND_SACK_PERMITTED = 4;
    public static final int KIND_SACK = 5;
    public static final int KIND_TIMESTAMP = 8;

    public static final int LEN_MSS = 4;
    public static final int LEN_WINDOW_SCALE = 3;
    public static final int LEN_SACK_PERMITTED = 2;
    public static final int LEN_TIMESTAMP = 10;
    /** Four SACK blocks fill the 40 option bytes with room for NOPs only without timestamps. */
    public static final int MAX_SACK_BLOCKS = 4;

    /** {@link #next()}: no more options (end of bytes or EOL). */
    public static final int END = -1;
    /** {@link #next()}: the options are malformed from here on. */
    public static final int MALFORMED = -2;

    private byte[] buf;
    private int start;
    private int end;
    private int pos;
    private int cur = -1;
    private int curLen;
    private boolean broken;

    private boolean hasMss;
    private int mss;
    private boolean hasWindowScale;
    private int windowScale;
    private boolean sackPermitted;
    private boolean hasTimestamp;
    private int tsVal;
    private int tsEcr;
    private int sackCount;
    private final int[] sackEdges = new int[2 * MAX_SACK_BLOCKS];

    /** Points at {@code len} option bytes and rewinds; returns this. */
    public TcpOptions wrap(byte[] buf, int off, int len) {
        if (off < 0 || len < 0 || off > buf.length - len) {
            throw new IndexOutOfBoundsException("off " + off + " len " + len + " in " + buf.length);
        }
        this.buf = buf;
        this.start = off;
        this.end = off + len;
        rewind();
        return this;
    }

    /** Starts iterating from the first option again. */
    public void rewind() {
        pos = start;
        cur = -1;
        curLen = 0;
        broken = false;
    }

    /** Advances to the next option other than NOP; answers its kind, {@link #END} or {@link #MALFORMED}. */
    public int next() {
        if (broken) {
            return MALFORMED;
        }
        while (pos < end) {
            int kind = buf[pos] & 0xff;
            if (kind == KIND_EOL) {
                pos = end;
                break;
            }
            if (kind == KIND_NOP) {
                pos++;
                continue;
            }
            if (pos + 1 >= end) {
                return fail();
            }
            int olen = buf[pos + 1] & 0xff;
            if (olen < 2 || olen > end - pos || !lengthFits(kind, olen)) {
                return fail();
            }
            cur = pos;
            curLen = olen;
            pos += olen;
            return kind;
        }
        cur = -1;
        return END;
    }

    private int fail() {
        broken = true;
        cur = -1;
        return MALFORMED;
    }

    private static boolean lengthFits(int kind, int olen) {
        return switch (kind) {
            case KIND_MSS -> olen == LEN_MSS;
            case KIND_WINDOW_SCALE -> olen == LEN_WINDOW_SCALE;
            case KIND_SACK_PERMITTED -> olen == LEN_SACK_PERMITTED;
            case KIND_TIMESTAMP -> olen == LEN_TIMESTAMP;
            case KIND_SACK -> olen >= 10 && (olen - 2) % 8 == 0 && (olen - 2) / 8 <= MAX_SACK_BLOCKS;
            default -> true;
        };
    }

    /** Absolute offset of the current option (its kind byte). */
    public int optionOffset() {
        return cur;
    }

    /** Length byte of the current option. */
    public int optionLength() {
        return curLen;
    }

    /** Kind of the current option. */
    public int kind() {
        return cur < 0 ? END : buf[cur] & 0xff;
    }

    /** Current option value: MSS. */
    public int currentMss() {
        return Ipv4Header.u16(buf, cur + 2);
    }

    /** Current option value: window shift count (not clamped to 14). */
    public int currentWindowScale() {
        return buf[cur + 2] & 0xff;
    }

    public int currentTsVal() {
        return Ipv4Header.u32(buf, cur + 2);
    }

    public int currentTsEcr() {
        return Ipv4Header.u32(buf, cur + 6);
    }

    /** Number of blocks of the current SACK option. */
    public int currentSackBlocks() {
        return (curLen - 2) / 8;
    }

    public int currentSackLeft(int i) {
        return Ipv4Header.u32(buf, cur + 2 + 8 * i);
    }

    public int currentSackRight(int i) {
        return Ipv4Header.u32(buf, cur + 6 + 8 * i);
    }

    /**
     * Reads every option into the summary; {@link WireStatus#BAD_OPTION} when one is
     * malformed (the summary then holds what came before it). A repeated option keeps its
     * first value.
     */
    public WireStatus parse() {
        rewind();
        hasMss = false;
        hasWindowScale = false;
        sackPermitted = false;
        hasTimestamp = false;
        sackCount = 0;
        while (true) {
            int k = next();
            switch (k) {
                case END:
                    return WireStatus.OK;
                case MALFORMED:
                    return WireStatus.BAD_OPTION;
                case KIND_MSS:
                    if (!hasMss) {
                        hasMss = true;
                        mss = currentMss();
                    }
                    break;
                case KIND_WINDOW_SCALE:
                    if (!hasWindowScale) {
                        hasWindowScale = true;
                        windowScale = currentWindowScale();
                    }
                    break;
                case KIND_SACK_PERMITTED:
                    sackPermitted = true;
                    break;
                case KIND_TIMESTAMP:
                    if (!hasTimestamp) {
                        hasTimestamp = true;
                        tsVal = currentTsVal();
                        tsEcr = currentTsEcr();
                    }
                    break;
                case KIND_SACK:
                    if (sackCount == 0) {
                        sackCount = currentSackBlocks();
                        for (int i = 0; i < sackCount; i++) {
                            sackEdges[2 * i] = currentSackLeft(i);
                            sackEdges[2 * i + 1] = currentSackRight(i);
                        }
                    }
                    break;
                default:
                    break;
            }
        }
    }

    public boolean hasMss() {
        return hasMss;
    }

    public int mss() {
        return mss;
    }

    public boolean hasWindowScale() {
        return hasWindowScale;
    }

    public int windowScale() {
        return windowScale;
    }

    public boolean sackPermitted() {
        return sackPermitted;
    }

    public boolean hasTimestamp() {
        return hasTimestamp;
    }

    public int tsVal() {
        return tsVal;
    }

    public int tsEcr() {
        return tsEcr;
    }

    public int sackBlockCount() {
        return sackCount;
    }

    public int sackLeft(int i) {
        if (i < 0 || i >= sackCount) {
            throw new IndexOutOfBoundsException("SACK block " + i + " of " + sackCount);
        }
        return sackEdges[2 * i];
    }

    public int sackRight(int i) {
        if (i < 0 || i >= sackCount) {
            throw new IndexOutOfBoundsException("SACK block " + i + " of " + sackCount);
        }
        return sackEdges[2 * i + 1];
    }

    // writers: each returns the number of bytes written

    public static int writeNop(byte[] b, int off) {
        b[off] = KIND_NOP;
        return 1;
    }

    public static int writeMss(byte[] b, int off, int mss) {
        b[off] = KIND_MSS;
        b[off + 1] = LEN_MSS;
        Ipv4Header.put16(b, off + 2, mss);
        return LEN_MSS;
    }

    public static int writeWindowScale(byte[] b, int off, int shift) {
        b[off] = KIND_WINDOW_SCALE;
        b[off + 1] = LEN_WINDOW_SCALE;
        b[off + 2] = (byte) shift;
        return LEN_WINDOW_SCALE;
    }

    public static int writeSackPermitted(byte[] b, int off) {
        b[off] = KIND_SACK_PERMITTED;
        b[off + 1] = LEN_SACK_PERMITTED;
        return LEN_SACK_PERMITTED;
    }

    public static int writeTimestamp(byte[] b, int off, int tsVal, int tsEcr) {
        b[off] = KIND_TIMESTAMP;
        b[off + 1] = LEN_TIMESTAMP;
        Ipv4Header.put32(b, off + 2, tsVal);
        Ipv4Header.put32(b, off + 6, tsEcr);
        return LEN_TIMESTAMP;
    }

    /** Writes a SACK option of {@code blocks} blocks from {@code edges} (left, right pairs). */
    public static int writeSack(byte[] b, int off, int[] edges, int blocks) {
        if (blocks < 1 || blocks > MAX_SACK_BLOCKS || edges.length < 2 * blocks) {
            throw new IllegalArgumentException("SACK blocks " + blocks + " (expected 1.." + MAX_SACK_BLOCKS + ")");
        }
        int olen = 2 + 8 * blocks;
        b[off] = KIND_SACK;
        b[off + 1] = (byte) olen;
        for (int i = 0; i < blocks; i++) {
            Ipv4Header.put32(b, off + 2 + 8 * i, edges[2 * i]);
            Ipv4Header.put32(b, off + 6 + 8 * i, edges[2 * i + 1]);
        }
        return olen;
    }

    /** Pads {@code used} option bytes with EOL to a multiple of 4; returns the padded length. */
    public static int pad(byte[] b, int off, int used) {
        int n = used;
        while ((n & 3) != 0) {
            b[off + n++] = KIND_EOL;
        }
        return n;
    }
}
