package org.protosw.ib.demo.internal.verbs;

/** Work completion status ({@code enum ibv_wc_status}), the ones this transport produces. */
public enum WcStatus {
    SUCCESS,
    /** The local ACK timeout expired retry_cnt + 1 times with no progress. */
    RETRY_EXC_ERR,
    /** RNR NAKs came rnr_retry + 1 times (7 means forever). */
    RNR_RETRY_EXC_ERR,
    /** The responder refused an RDMA WRITE's R_Key or range (NAK remote access error). */
    REM_ACCESS_ERR,
    /** The responder found the request invalid (NAK invalid request). */
    REM_INV_REQ_ERR,
    /** The QP went to ERROR while the work request was outstanding. */
    WR_FLUSH_ERR
}
