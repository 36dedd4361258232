package org.protosw.ib.demo.internal.verbs;

/**
 * The queue pair states of the verbs (IBTA Vol. 1, 10.3.1; {@code enum ibv_qp_state}) that
 * an RC queue pair goes through: RESET (just created), INIT (bound to a port and partition),
 * RTR (ready to receive: knows its peer and the PSN it expects), RTS (ready to send: knows
 * its own starting PSN, timeout and retry counts), ERROR (every outstanding work request is
 * flushed with an error completion; nothing moves).
 */
public enum QpState {
    RESET, INIT, RTR, RTS, ERROR;

    /** The transitions {@code ibv_modify_qp} allows between these states (any state may go to ERROR or RESET). */
    boolean mayGoTo(QpState next) {
        if (next == ERROR || next == RESET) {
            return true;
        }
        return switch (this) {
            case RESET -> next == INIT;
            case INIT -> next == INIT || next == RTR;
            case RTR -> next == RTS;
            case RTS -> next == RTS;
            case ERROR -> false;
        };
    }
}
