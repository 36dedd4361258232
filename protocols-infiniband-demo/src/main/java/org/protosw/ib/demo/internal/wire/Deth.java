package org.protosw.ib.demo.internal.wire;

/**
 * A view of the Datagram Extended Transport Header (IBTA Vol. 1, 9.3.2): Q_Key (4),
 * reserved (1), source QP (3). Carried by the UD packets that take the CM's MADs to QP1.
 */
public final class Deth {
    public static final int LENGTH = 8;

    /** The well-known Q_Key of the General Services Interface (QP1). */
    public static final int GSI_QKEY = 0x80010000;

    private byte[] buf;
    private int off;

    public Deth wrap(byte[] buf, int off) {
        if (off < 0 || off > buf.length - LENGTH) {
            throw new IndexOutOfBoundsException("DETH at " + off + " in " + buf.length);
        }
        this.buf = buf;
        this.off = off;
        return this;
    }

    public int qkey() {
        return Be.i32(buf, off);
    }

    public int srcQp() {
        return Be.u24(buf, off + 5);
    }

    public Deth write(int qkey, int srcQp) {
        Be.put32(buf, off, qkey);
        buf[off + 4] = 0;
        Be.put24(buf, off + 5, srcQp);
        return this;
    }
}
