package org.protosw.ib.demo.internal.verbs;

/**
 * The receive queue of a queue pair as its consumer posts it. A socket posts its receive
 * buffer's free space: a receive work request is "posted" while the buffer can take the
 * message. When it cannot, the responder answers RNR NAK and the requester tries again
 * after the RNR timer, as IBTA 9.7.5.2.8 has it for a receive queue with no WQE.
 */
public interface RecvQueue {
    /** A receive WQE is posted for a new message (checked on its first packet). */
    boolean posted();

    /** The posted WQE can take a message of {@code len} bytes (checked before its last packet completes it). */
    boolean fits(int len);

    /** A receive queue that always has room (tests, benchmarks). */
    RecvQueue UNLIMITED = new RecvQueue() {
        @Override
        public boolean posted() {
            return true;
        }

        @Override
        public boolean fits(int len) {
            return true;
        }
    };
}
