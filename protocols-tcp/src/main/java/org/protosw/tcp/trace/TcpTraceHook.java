package org.protosw.tcp.trace;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Sees every segment of every TCP connection while registered as a service (the hook point
 * of FreeBSD's {@code siftr(4)}, which hooks {@code pfil} for the same purpose).
 *
 * <p>TCP calls it on the data path, on the thread that sends or processes the segment, under
 * the connection's lock: it must return quickly and never block (copy what it needs and hand it
 * to a thread of its own). The {@link TcpTraceState} is valid only during the call. An
 * exception it throws is counted and logged by TCP and otherwise ignored.
 */
@ConsumerType
public interface TcpTraceHook {
    /** Whether TCP is sending the segment or has received it. */
    enum Direction {
        IN, OUT
    }

    /**
     * One segment.
     *
     * @param dir IN for a segment received (seen before TCP processes it, as {@code siftr} sees
     *        it on input), OUT for one sent (seen as it leaves, after TCP's bookkeeping)
     * @param conn the connection's state, valid during this call only
     * @param seq the segment's sequence number (32 bits, unsigned)
     * @param ack its acknowledgment number (0 without ACK)
     * @param flags its TCP header flags (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10...)
     * @param payloadLength bytes of data it carries
     * @param retransmit on OUT, whether the segment resends data sent before; false on IN
     */
    void segment(Direction dir, TcpTraceState conn, int seq, int ack, int flags, int payloadLength, boolean retransmit);
}
