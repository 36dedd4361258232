package org.protosw.internal.socket;

import org.protosw.spi.SockBuf;

/** Socket buffers for the core's other packages, which cannot see {@link SockBufImpl}. */
public final class SockBufs {
    private SockBufs() {
    }

    /** A stream buffer of no socket ({@code ProtoContext.newStreamBuffer}): nobody waits on it. */
    public static SockBuf stream(int hiwat) {
        return new SockBufImpl(hiwat, 1);
    }
}
