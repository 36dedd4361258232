package org.protosw.inetd.internal;

import java.nio.ByteBuffer;

/**
 * RFC 864's character generator: lines of 72 printable ASCII characters (32 to 126) and
 * CR LF, each line starting one character further along the 95-character ring than the one
 * before. The state is where the stream stands, so a connection continues the pattern across
 * sends.
 */
public final class Chargen {
    public static final int LINE = 72;
    public static final int LINE_WITH_EOL = LINE + 2;
    private static final int FIRST = 32;
    private static final int RING = 95;

    private int line;
    private int column;

    /** Fills {@code dst} to its limit with the continuing pattern. */
    public void fill(ByteBuffer dst) {
        while (dst.hasRemaining()) {
            byte b;
            if (column < LINE) {
                b = (byte) (FIRST + (line + column) % RING);
            } else {
                b = column == LINE ? (byte) '\r' : (byte) '\n';
            }
            dst.put(b);
            if (++column == LINE_WITH_EOL) {
                column = 0;
                line = (line + 1) % RING;
            }
        }
    }

    /**
     * One datagram's worth: RFC 864 asks for "a random number (between 0 and 512)" of
     * characters; whole lines up to 512 bytes (six lines, 444 bytes) keep the reply readable
     * and the next datagram continuing the ring.
     */
    public void fillDatagram(ByteBuffer dst) {
        int n = Math.min(dst.remaining(), 512 / LINE_WITH_EOL * LINE_WITH_EOL);
        ByteBuffer slice = dst.slice(dst.position(), n);
        fill(slice);
        dst.position(dst.position() + n);
    }
}
