package org.protosw.bench;

import java.util.concurrent.atomic.AtomicLong;

/**
 * udp-rate-paced's flow control: the sender may have at most {@link #WINDOW} datagrams sent
 * and not yet taken out of the receiver's socket buffer, so the buffer never holds more and
 * nothing is dropped for a full one (a datagram lost anyway is loss the stack caused).
 *
 * <p>Credit comes back through the receiver's count of datagrams received, a counter in
 * this JVM, not through acknowledgement datagrams: those would cross the stack as well, so
 * the figure would measure two flows (and the ack path's own drops) instead of one. The
 * receiver writes the count once per datagram, which it does for the progress lines anyway;
 * the sender reads it only when it has used up the credit it last saw, so in steady state
 * the scheme costs the sender one read of the receiver's cache line per window, not per
 * datagram.
 *
 * <p>Both stacks normally deliver to loopback in the sending thread (Linux processes its
 * backlog as the send leaves its softirq-disabled section, protosw dispatches directly), so a
 * datagram in flight is in the socket buffer, or at worst in an input queue far from its
 * limit (1,000 / 10,240).
 */
final class UdpCredit {
    /**
     * Half of what Linux's default SO_RCVBUF (212,992 bytes, {@code net.core.rmem_default})
     * holds of 64-byte datagrams on loopback: each is charged its buffer's true size, about
     * 832 bytes, so 256 fit (measured on this project's machine). protosw's default (UDP's
     * recvspace, 42,080 bytes, charged by payload) holds 657. A window of 128 keeps both well
     * short of full while letting the sender run 128 ahead instead of waiting on each one.
     */
    static final int WINDOW = 128;

    private final AtomicLong received;
    /** The sender's own: it may send until its count reaches this before looking again. */
    private long limit = WINDOW;
    private long fullWindows;

    UdpCredit(AtomicLong received) {
        this.received = received;
    }

    /**
     * Waits until datagram number {@code sent} (counting from 0) may go; false when
     * {@code deadline} (System.nanoTime) passed first, as it would if {@link #WINDOW}
     * datagrams were lost and no credit could ever come back.
     */
    boolean await(long sent, long deadline) {
        if (sent < limit) {
            return true;
        }
        limit = received.get() + WINDOW;
        if (sent < limit) {
            return true;
        }
        fullWindows++;
        // the receiver is on the other core and frees a slot within microseconds; yield
        // now and then so that a busy machine still runs it if it shares this core
        for (int spins = 1; (limit = received.get() + WINDOW) <= sent; spins++) {
            if ((spins & 0xff) == 0) {
                if (System.nanoTime() >= deadline) {
                    return false;
                }
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
        return true;
    }

    /** How often the sender found the window full and had to wait for the receiver. */
    long fullWindows() {
        return fullWindows;
    }
}
