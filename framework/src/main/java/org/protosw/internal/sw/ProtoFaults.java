package org.protosw.internal.sw;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

import org.protosw.spi.PpsRateCheck;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What escaped a protocol's code into the core at run time: every exception thrown by a user
 * request, {@code attach}, input, ctlinput, a timer task or a teardown call, counted by
 * where it came from, for {@code net:protocols} and {@code net:diag}.
 *
 * <p>Each one is also logged with the name and version of the bundle that serves the
 * protocol, so an operator knows whom to blame; but a protocol that throws on every packet
 * would flood the log, so the lines are rate limited per protocol ({@code ppsratecheck},
 * {@link #LINES_PER_SECOND}), and the next line that passes says how many were left out.
 */
public final class ProtoFaults {
    private static final Logger LOG = LoggerFactory.getLogger(ProtoFaults.class);

    /** Log lines per protocol and second; the failures beyond are counted, not logged. */
    public static final int LINES_PER_SECOND = 1;

    /** Where the exception came from. */
    public enum Where {
        /** a user request ({@code pru_*}): the caller got EIO */
        REQUEST("requests"),
        /** {@code pru_attach} of socket(2) or of a new connection on a listener */
        ATTACH("attach"),
        /** the input handler or ctlinput it registered ({@code ipproto_register}): the packet was dropped */
        INPUT("input"),
        /** a timer task ({@code callout}) */
        TIMER("timers"),
        /** {@code Protocol}'s init when a stack instance came after the protocol */
        INIT("init"),
        /** close, abort, detach or destroy: the core went on as if it had returned */
        TEARDOWN("teardown");

        private final String label;

        Where(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private final ProtoEntry entry;
    private final PpsRateCheck lines;
    private final Map<Where, LongAdder> counts = new EnumMap<>(Where.class);
    private final AtomicLong suppressed = new AtomicLong();

    ProtoFaults(ProtoEntry entry) {
        this(entry, System::nanoTime);
    }

    /** With a test's clock for the rate limit. */
    ProtoFaults(ProtoEntry entry, LongSupplier nanoClock) {
        this.entry = entry;
        this.lines = new PpsRateCheck(() -> LINES_PER_SECOND, nanoClock);
        for (Where w : Where.values()) {
            counts.put(w, new LongAdder());
        }
    }

    /**
     * Counts one failure and logs it unless the protocol used its line for this second.
     *
     * @param where which kind of call it escaped from
     * @param what the call, e.g. {@code "setsockopt SO_RCVBUF"} or {@code "input of IP protocol 17"}
     * @param subject what it concerned, e.g. {@code "tudp socket #3 in vnet default"} or {@code "vnet default"}
     */
    public void report(Where where, String what, String subject, Throwable e) {
        counts.get(where).increment();
        if (!lines.check()) {
            suppressed.incrementAndGet();
            return;
        }
        long left = suppressed.getAndSet(0);
        // the owner is read now: after a live upgrade it is the new revision's bundle
        LOG.error("{}: protocol {} from {} failed in {}: {}{}", subject, entry.name(), entry.owner(), what, e,
                left == 0 ? "" : " (" + left + " more failure(s) of " + entry.name() + " not logged since the last line)", e);
    }

    /** Every failure so far. */
    public long total() {
        long n = 0;
        for (LongAdder a : counts.values()) {
            n += a.sum();
        }
        return n;
    }

    public long count(Where where) {
        return counts.get(where).sum();
    }

    /** Failures not logged because of the rate limit, since the last line that was. */
    public long suppressed() {
        return suppressed.get();
    }

    /** Each non-zero kind with its count, e.g. {@code "requests 2, input 1"}; {@code "none"} without failures. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Where w : Where.values()) {
            long n = count(w);
            if (n > 0) {
                sb.append(sb.isEmpty() ? "" : ", ").append(w.label()).append(' ').append(n);
            }
        }
        return sb.isEmpty() ? "none" : sb.toString();
    }
}
