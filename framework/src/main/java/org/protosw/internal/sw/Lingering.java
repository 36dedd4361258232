package org.protosw.internal.sw;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A protocol instance whose unload (or vnet removal, or failed upgrade) stopped waiting at
 * {@code net.protosw.unload_wait_ms} while threads were still inside the protocol: it is
 * destroyed when the last of them leaves, and until then {@code net:diag} names each socket
 * and each thread that holds it up (a protocol that blocks in a request forever shows here
 * for good, while the rest of the stack, and the bundle's stop, went on).
 */
public final class Lingering {
    private final ProtoInstance pi;
    private final String owner;
    private final String why;
    private final long waitedMillis;
    private final Instant since;

    Lingering(ProtoInstance pi, String why, long waitedMillis, Instant since) {
        this.pi = pi;
        this.owner = pi.entry().owner();
        this.why = why;
        this.waitedMillis = waitedMillis;
        this.since = since;
    }

    /** False once the last call left and the instance was destroyed. */
    boolean stillThere() {
        return !pi.tornDown();
    }

    /**
     * One line per socket still holding the instance up, read now: e.g. {@code tudp socket #3
     * in vnet default: thread "worker-1" (WAITING) still inside tudp from org.example [9] 1.0.0 ...}.
     */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        for (AttachedSocket so : pi.remaining()) {
            StringBuilder sb = new StringBuilder(so.describe()).append(": ");
            List<Thread> threads = so.threadsInFlight();
            if (threads.isEmpty()) {
                sb.append("a call (thread not tracked)");
            }
            String sep = "";
            for (Thread t : threads) {
                sb.append(sep).append("thread \"").append(t.getName()).append("\" (").append(t.getState()).append(')');
                sep = ", ";
            }
            sb.append(" still inside ").append(pi.entry().name()).append(" from ").append(owner).append(" since its ")
                    .append(why).append(" at ").append(since).append(" (stopped waiting after ").append(waitedMillis)
                    .append(" ms, net.protosw.unload_wait_ms); detached when it leaves");
            out.add(sb.toString());
        }
        return out;
    }
}
