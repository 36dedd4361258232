package org.protosw.ib.demo.internal.wire;

/**
 * A view of the RDMA Extended Transport Header (IBTA Vol. 1, 9.3.3): virtual address (8),
 * R_Key (4), DMA length (4). Carried by the first (or only) packet of an RDMA WRITE.
 */
public final class Reth {
    public static final int LENGTH = 16;

    private byte[] buf;
    private int off;

    public Reth wrap(byte[] buf, int off) {
        if (off < 0 || off > buf.length - LENGTH) {
            throw new IndexOutOfBoundsException("RETH at " + off + " in " + buf.length);
        }
        this.buf = buf;
        this.off = off;
        return this;
    }

    public long va() {
        return Be.i64(buf, off);
    }

    public int rkey() {
        return Be.i32(buf, off + 8);
    }

    /** The DMA length, unsigned 32 bits. */
    public long dmaLength() {
        return Be.i32(buf, off + 12) & 0xffffffffL;
    }

    public Reth write(long va, int rkey, int dmaLength) {
        Be.put64(buf, off, va);
        Be.put32(buf, off + 8, rkey);
        Be.put32(buf, off + 12, dmaLength);
        return this;
    }
}
