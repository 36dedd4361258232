package org.protosw.internal.socket;

import java.util.ArrayDeque;

/**
 * The two queues of a listening socket ({@code so_incomp}, {@code so_comp}): connections
 * whose handshake is under way, and connections ready for accept(2). Guarded by the
 * listening socket's lock.
 */
final class ListenQueue {
    final ArrayDeque<SocketImpl> incomp = new ArrayDeque<>();
    final ArrayDeque<SocketImpl> comp = new ArrayDeque<>();
    /** {@code sol_qlimit}: the backlog, bounded by {@code kern.ipc.somaxconn}. */
    int qlimit;
    /** The listener closed or was aborted: no connection joins any more. */
    boolean closed;
    /** Connections refused because the queues were full ({@code sonewconn} overflows). */
    long overflows;

    ListenQueue(int qlimit) {
        this.qlimit = qlimit;
    }

    int qlen() {
        return incomp.size() + comp.size();
    }

    /** FreeBSD's test: a listener takes up to one and a half times its backlog. */
    boolean full() {
        return qlen() > 3 * qlimit / 2;
    }
}
