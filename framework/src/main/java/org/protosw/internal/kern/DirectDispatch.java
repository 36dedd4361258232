package org.protosw.internal.kern;

/**
 * Input processing in the sending thread, as FreeBSD's {@code net.isr.dispatch=direct} and
 * Linux's loopback ({@code netif_rx} queues to the CPU's backlog, which the same CPU
 * processes when it leaves the section that sent, {@code local_bh_enable}). A packet sent
 * out of lo0 or an epair by a thread inside a <em>window</em> (a socket call, a timer run)
 * still goes onto its flow's input queue — the queue order is the flow's order, as without
 * direct dispatch — but its worker is not woken: the sending thread processes that queue
 * itself when it leaves the window ({@link #exit}), when no lock of the protocol's is held
 * any more. A protocol sends under its connection lock, so processing there could take the
 * peer's lock in the opposite order of the peer's own send: queueing first is what makes
 * this safe.
 *
 * <p>One flow is still processed by one thread at a time, in order: a queue is only ever
 * consumed by the thread that holds its worker's {@code busy} flag (the worker or a helping
 * sender), never waiting for it (a sender that finds it taken wakes the worker and goes on).
 * Replies made while processing (an ACK, an echo reply) are queued the same way and taken by
 * the same loop, not by recursion; past {@link #BUDGET} packets the rest goes to the workers,
 * as netisr's queue does for FreeBSD's direct dispatch. A thread about to block hands what
 * it queued to the workers ({@link #handOff}). Input workers never open a window.
 *
 * <p>The state is the thread's own: no lock, no shared write beyond the queues themselves.
 */
public final class DirectDispatch {
    /** Packets one window exit processes before the rest goes to the workers (Linux's netdev_budget). */
    static final int BUDGET = 256;

    private static final ThreadLocal<DirectDispatch> CTX = ThreadLocal.withInitial(DirectDispatch::new);

    private int depth;
    private boolean draining;
    /** An input worker's thread: windows stay closed, everything is queued and woken as before. */
    private boolean worker;
    private Netisr.Worker[] pending = new Netisr.Worker[4];
    private int npending;

    private DirectDispatch() {
    }

    /** Opens a window: what this thread sends is processed by it when the outermost window closes. */
    public static void enter() {
        DirectDispatch d = CTX.get();
        if (!d.worker) {
            d.depth++;
        }
    }

    /** Closes a window; the outermost one processes what was queued meanwhile. No lock may be held. */
    public static void exit() {
        DirectDispatch d = CTX.get();
        if (d.worker || d.depth == 0) {
            return;
        }
        if (--d.depth == 0 && d.npending > 0) {
            d.depth = 1;
            try {
                d.drain();
            } finally {
                d.depth = 0;
            }
        }
    }

    /**
     * Inside a window, with no lock held (between two chunks of a send, after a connect
     * request): processes what this thread queued so far.
     */
    public static void run() {
        DirectDispatch d = CTX.get();
        if (d.npending > 0 && !d.draining && d.depth > 0) {
            d.drain();
        }
    }

    /** Before this thread blocks: the workers take what it queued. */
    public static void handOff() {
        DirectDispatch d = CTX.get();
        for (int i = 0; i < d.npending; i++) {
            d.pending[i].kick();
            d.pending[i] = null;
        }
        d.npending = 0;
    }

    /** For {@link Netisr}: the calling thread's state when it is inside a window, else null. */
    static DirectDispatch inWindow() {
        DirectDispatch d = CTX.get();
        return d.depth > 0 ? d : null;
    }

    /** Marks the calling thread as an input worker. */
    static void markWorker() {
        CTX.get().worker = true;
    }

    /** A packet was queued on {@code w}; this thread will process it (or wake {@code w}). */
    void queued(Netisr.Worker w) {
        for (int i = 0; i < npending; i++) {
            if (pending[i] == w) {
                return;
            }
        }
        if (npending == pending.length) {
            pending = java.util.Arrays.copyOf(pending, npending * 2);
        }
        pending[npending++] = w;
    }

    private void drain() {
        draining = true;
        int budget = BUDGET;
        try {
            while (npending > 0) {
                Netisr.Worker w = pending[--npending];
                pending[npending] = null;
                if (budget <= 0) {
                    w.kick();
                } else {
                    budget = w.help(budget);
                }
            }
        } finally {
            draining = false;
            // an exception out of processing (never expected) must not strand a queue
            handOff();
        }
    }
}
