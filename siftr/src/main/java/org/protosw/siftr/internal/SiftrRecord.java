package org.protosw.siftr.internal;

import org.protosw.tcp.trace.TcpTraceHook.Direction;
import org.protosw.tcp.trace.TcpTraceState;

/**
 * One segment and its connection as the hook saw them: what siftr copies on the data path
 * (primitives only, so the hook's view can be let go) and its writer thread formats later.
 */
record SiftrRecord(boolean out, long epochNanos, int faddr, int fport, int laddr, int lport, long ssthresh, long cwnd,
        long sndWnd, long rcvWnd, int sndScale, int rcvScale, int state, int maxseg, long srtt, boolean sack, int tFlags,
        long rto, int sndHiwat, int sndCc, int rcvHiwat, int rcvCc, long inflight, int reassSegs, int seq, int ack,
        int dataSz, int thFlags, boolean retransmit, boolean recovery, int rxtShift, String vnet) {

    static SiftrRecord of(Direction dir, long epochNanos, TcpTraceState c, int seq, int ack, int flags, int len,
            boolean rexmit) {
        return new SiftrRecord(dir == Direction.OUT, epochNanos, c.foreignAddress(), c.foreignPort(), c.localAddress(),
                c.localPort(), c.ssthresh(), c.cwnd(), c.sndWnd(), c.rcvWnd(), c.sndScale(), c.rcvScale(), c.fsmState(),
                c.maxseg(), c.srttMicros(), c.sackEnabled(), c.tFlags(), c.rtoMicros(), c.sndBufHiwat(), c.sndBufUsed(),
                c.rcvBufHiwat(), c.rcvBufUsed(), c.flightSize(), c.reassSegments(), seq, ack, len, flags, rexmit,
                c.inFastRecovery(), c.rxtShift(), c.vnet());
    }

    /**
     * The log line, comma separated in {@code siftr(4)}'s order where a field maps (see
     * {@link SiftrFormat}); a field FreeBSD has and protosw does not (t_flags2, flowid, flowtype)
     * is 0, so tools that read siftr logs by position still find the rest.
     */
    void appendTo(StringBuilder sb) {
        long secs = Math.floorDiv(epochNanos, 1_000_000_000L);
        long usecs = Math.floorMod(epochNanos, 1_000_000_000L) / 1000;
        sb.append(out ? 'o' : 'i').append(',');
        sb.append(secs).append('.');
        String u = Long.toString(usecs);
        for (int i = u.length(); i < 6; i++) {
            sb.append('0');
        }
        sb.append(u).append(',');
        addr(sb, faddr).append(',').append(fport).append(',');
        addr(sb, laddr).append(',').append(lport).append(',');
        sb.append(clamp(ssthresh)).append(',').append(cwnd).append(',');
        sb.append(0).append(',');
        sb.append(sndWnd).append(',').append(rcvWnd).append(',');
        sb.append(sndScale).append(',').append(rcvScale).append(',');
        sb.append(state).append(',').append(maxseg).append(',');
        sb.append(srtt).append(',').append(sack ? 1 : 0).append(',');
        sb.append(tFlags).append(',').append(rto).append(',');
        sb.append(sndHiwat).append(',').append(sndCc).append(',');
        sb.append(rcvHiwat).append(',').append(rcvCc).append(',');
        sb.append(inflight).append(',').append(reassSegs).append(',');
        sb.append(0).append(',').append(0).append(',');
        sb.append(Integer.toUnsignedString(seq)).append(',').append(Integer.toUnsignedString(ack)).append(',');
        sb.append(dataSz).append(',');
        sb.append("0x").append(Integer.toHexString(thFlags)).append(',');
        sb.append(retransmit ? 1 : 0).append(',');
        sb.append(recovery ? 1 : 0).append(',').append(rxtShift).append(',');
        sb.append(vnet).append('\n');
    }

    /** An "infinite" ssthresh (TCP starts with a huge one) is shown as FreeBSD shows TCP_MAXWIN << 14. */
    private static long clamp(long v) {
        return Math.min(v, 0xffffffffL);
    }

    private static StringBuilder addr(StringBuilder sb, int a) {
        return sb.append((a >>> 24) & 0xff).append('.').append((a >>> 16) & 0xff).append('.').append((a >>> 8) & 0xff)
                .append('.').append(a & 0xff);
    }
}
