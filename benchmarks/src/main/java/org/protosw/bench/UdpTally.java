package org.protosw.bench;

import java.io.IOException;
import java.util.Locale;

/**
 * What became of one side's datagrams: sent, received (the receiver drained its buffer after
 * the sender stopped, so the difference is what was dropped, not what was still queued), and
 * what the stack itself counted as dropped over the same run.
 */
final class UdpTally {
    private final UdpEnds ends;
    private final long fullBefore;
    private final long queueBefore;
    /** Why the stack's counter could not be read (before or after), or null. */
    private String unreadable;
    private long sent;
    private long received;
    private long sendFailures;
    private long fullDrops;
    private long queueDrops;

    /** Reads the stack's counters before the run. */
    UdpTally(UdpEnds ends) {
        this.ends = ends;
        fullBefore = read(ends);
        queueBefore = ends.inputQueueDrops();
    }

    /** Reads them again after it. */
    void finish(long sent, long received, long sendFailures) {
        this.sent = sent;
        this.received = received;
        this.sendFailures = sendFailures;
        long full = read(ends);
        fullDrops = full - fullBefore;
        queueDrops = ends.inputQueueDrops() - queueBefore;
    }

    private long read(UdpEnds e) {
        try {
            return e.fullBufferDrops();
        } catch (IOException | RuntimeException x) {
            unreadable = x.toString();
            return 0;
        }
    }

    /** Datagrams sent and never received. */
    long lost() {
        return sent - received;
    }

    String line(String stack) {
        String counters = unreadable != null ? "the stack's drop counter was unreadable: " + unreadable : ends.counted(fullDrops, queueDrops);
        String failures = sendFailures == 0 ? "" : String.format(Locale.ROOT, " (%,d sends refused, not counted as sent)", sendFailures);
        return String.format(Locale.ROOT, "%s: sent %,d%s, received %,d, dropped %,d (sent - received); %s",
                stack, sent, failures, received, lost(), counters);
    }
}
