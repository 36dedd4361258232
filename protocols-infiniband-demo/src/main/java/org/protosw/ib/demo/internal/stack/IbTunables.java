package org.protosw.ib.demo.internal.stack;

import org.protosw.ib.demo.internal.verbs.IbConfig;
import org.protosw.spi.Sysctls;
import org.protosw.spi.Tunable;

/**
 * The {@code net.ib.*} tunables of one vnet: the attributes a new queue pair starts with, as
 * {@code ibv_modify_qp} would be given them (timeout, retry_cnt, rnr_retry, min_rnr_timer),
 * and the connection manager's timing. Registered through the domain's context, so they go
 * when the domain leaves the vnet; copied into the {@link IbConfig} before each QP is made.
 */
final class IbTunables {
    static final String TIMEOUT = "net.ib.timeout";
    static final String RETRY_CNT = "net.ib.retry_cnt";
    static final String RNR_RETRY = "net.ib.rnr_retry";
    static final String MIN_RNR_TIMER = "net.ib.min_rnr_timer";
    static final String CM_TIMEOUT = "net.ib.cm_timeout";
    static final String CM_RETRIES = "net.ib.cm_retries";

    private final Tunable timeout;
    private final Tunable retryCnt;
    private final Tunable rnrRetry;
    private final Tunable minRnrTimer;
    private final Tunable cmTimeout;
    private final Tunable cmRetries;

    IbTunables(Sysctls s, IbConfig defaults) {
        timeout = s.register(TIMEOUT, defaults.timeoutCode, 1, 31,
                "local ACK timeout of new QPs: 4.096 us * 2^code (14: 67 ms)");
        retryCnt = s.register(RETRY_CNT, defaults.retryCount, 0, 7,
                "retransmissions on local ACK timeout before a QP fails with ETIMEDOUT (retry_cnt)");
        rnrRetry = s.register(RNR_RETRY, defaults.rnrRetry, 0, 7,
                "RNR NAK retries before a QP fails (rnr_retry; 7: retry forever)");
        minRnrTimer = s.register(MIN_RNR_TIMER, defaults.minRnrTimer, 1, 31,
                "RNR NAK timer code a receiver asks senders to wait (min_rnr_timer; 12: 0.64 ms)");
        cmTimeout = s.register(CM_TIMEOUT, defaults.cmTimeoutMillis, 1, 60_000,
                "ms before the CM sends a REQ, REP or DREQ again");
        cmRetries = s.register(CM_RETRIES, defaults.cmRetries, 0, 15,
                "times the CM sends a REQ, REP or DREQ again before it gives up (ETIMEDOUT)");
    }

    void applyTo(IbConfig c) {
        c.timeoutCode = timeout.getInt();
        c.retryCount = retryCnt.getInt();
        c.rnrRetry = rnrRetry.getInt();
        c.minRnrTimer = minRnrTimer.getInt();
        c.cmTimeoutMillis = cmTimeout.getInt();
        c.cmRetries = cmRetries.getInt();
    }
}
