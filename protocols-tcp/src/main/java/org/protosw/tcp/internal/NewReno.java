package org.protosw.tcp.internal;

import org.osgi.service.component.annotations.Component;
import org.protosw.tcp.cc.AckType;
import org.protosw.tcp.cc.CcVars;
import org.protosw.tcp.cc.CongestionControl;
import org.protosw.tcp.cc.CongestionSignal;

/**
 * NewReno's window arithmetic (RFC 5681, RFC 6582's cwnd rules, RFC 3465 appropriate byte
 * counting with L = 2, RFC 6928's initial window), as FreeBSD's {@code cc_newreno}, with
 * HyStart++ (RFC 9406, {@link HyStart}) in the first slow start when TCP allows it.
 * The recovery itself (which segment to resend, partial ACKs) is TCP's. Registered as a
 * service like any other algorithm; {@link CcRegistry} also keeps an instance of its own so
 * TCP always has an algorithm to fall back to.
 */
@Component(service = CongestionControl.class, property = CongestionControl.NAME_PROPERTY + "=" + NewReno.NAME)
public final class NewReno implements CongestionControl {
    static final String NAME = "newreno";
    /** RFC 6928: ten segments. */
    private static final int INITIAL_SEGMENTS = 10;
    /** RFC 3465: slow start grows by at most L segments per ACK. */
    private static final int ABC_L = 2;

    private static final class Data {
        /** Bytes acknowledged since cwnd last grew in congestion avoidance. */
        long bytesAcked;
        /** HyStart++ while the first slow start lasts, else null. */
        HyStart hystart;
    }

    @Override
    public void init(CcVars ccv) {
        ccv.setData(new Data());
    }

    @Override
    public void destroy(CcVars ccv) {
        ccv.setData(null);
    }

    @Override
    public void connInit(CcVars ccv) {
        ccv.setCwnd(initialWindow(ccv.maxseg()));
        data(ccv).hystart = HyStart.forConnection(ccv);
    }

    static long initialWindow(int mss) {
        return Math.min((long) INITIAL_SEGMENTS * mss, Math.max(2L * mss, 14600L));
    }

    @Override
    public void ackReceived(CcVars ccv, AckType type) {
        if (type != AckType.ACK || ccv.inRecovery()) {
            return;
        }
        long cwnd = ccv.cwnd();
        int mss = ccv.maxseg();
        long incr;
        Data d = data(ccv);
        if (cwnd <= ccv.ssthresh()) {
            incr = Math.min(ccv.bytesThisAck(), (long) ABC_L * mss);
            if (d.hystart != null) {
                if (d.hystart.slowStartAck(ccv, incr)) {
                    d.hystart = null;
                }
                return;
            }
        } else {
            d.bytesAcked += ccv.bytesThisAck();
            if (d.bytesAcked < cwnd) {
                return;
            }
            d.bytesAcked -= cwnd;
            incr = mss;
        }
        ccv.setCwnd(Math.min(cwnd + incr, ccv.maxWindow()));
    }

    @Override
    public void congSignal(CcVars ccv, CongestionSignal signal) {
        int mss = ccv.maxseg();
        Data d = data(ccv);
        if (signal != CongestionSignal.RTO_ERR) {
            // RFC 9406: a loss ends slow start as it always did, and HyStart++ with it
            d.hystart = null;
        }
        switch (signal) {
            case NDUPACK, ECN -> {
                ccv.setSsthresh(halfWindow(ccv, mss));
                ccv.setCwnd(ccv.ssthresh());
                d.bytesAcked = 0;
            }
            case RTO -> {
                ccv.setSsthresh(halfWindow(ccv, mss));
                ccv.setCwnd(mss);
                d.bytesAcked = 0;
            }
            case RTO_ERR -> {
                // nothing to undo: FreeBSD restores the saved window in TCP itself
            }
        }
    }

    /** RFC 5681 (4): max(FlightSize / 2, 2 * SMSS), counted in whole segments as FreeBSD does. */
    private static long halfWindow(CcVars ccv, int mss) {
        long flight = Math.min(ccv.cwnd(), Math.max(ccv.flightSize(), mss));
        long segs = Math.max(2, flight / 2 / mss);
        return segs * mss;
    }

    @Override
    public void postRecovery(CcVars ccv) {
        // RFC 6582 §3.2 (3): deflate to ssthresh, or to what is in flight plus one segment
        // when that is less, so no burst follows the recovery
        long pipe = ccv.flightSize();
        int mss = ccv.maxseg();
        long cwnd = pipe < ccv.ssthresh() ? pipe + mss : ccv.ssthresh();
        ccv.setCwnd(Math.max(cwnd, mss));
    }

    @Override
    public void afterIdle(CcVars ccv) {
        // RFC 5681 §4.1: restart from the restart window, never above the current one
        long rw = Math.min(initialWindow(ccv.maxseg()), ccv.cwnd());
        ccv.setCwnd(Math.max(rw, ccv.maxseg()));
    }

    @Override
    public java.util.Map<String, Object> exportData(CcVars ccv) {
        Data d = data(ccv);
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("bytesAcked", d.bytesAcked);
        m.put("hystart", d.hystart == null ? null : d.hystart.exportState());
        return m;
    }

    @Override
    public boolean importData(CcVars ccv, java.util.Map<String, Object> m) {
        if (!(m.get("bytesAcked") instanceof Long acked)) {
            return false;
        }
        Data d = new Data();
        d.bytesAcked = acked;
        try {
            d.hystart = HyStart.restore(m.get("hystart"));
        } catch (ClassCastException | NullPointerException | IllegalArgumentException e) {
            return false;
        }
        ccv.setData(d);
        return true;
    }

    private static Data data(CcVars ccv) {
        if (ccv.data() instanceof Data d) {
            return d;
        }
        Data d = new Data();
        ccv.setData(d);
        return d;
    }
}
