package org.protosw.siftr.internal;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One open siftr log file: a bounded queue the data path offers records to (never waiting:
 * a full queue drops the record and counts it, as FreeBSD's siftr counts what it could not
 * allocate) and a writer thread that formats and appends them. Opened with siftr's header line,
 * closed with its footer (the packet counts and the flows seen), as FreeBSD writes them.
 */
final class SiftrLog {
    private static final Logger LOG = LoggerFactory.getLogger(SiftrLog.class);
    static final int QUEUE = 1 << 16;
    private static final SiftrRecord STOP = new SiftrRecord(false, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0, false, false, 0, "");

    final Path path;
    private final BlockingQueue<SiftrRecord> queue;
    private final BufferedWriter out;
    private final Thread writer;
    private final long enabledNanos;
    private volatile boolean open = true;
    final LongAdder in = new LongAdder();
    final LongAdder outbound = new LongAdder();
    final LongAdder dropped = new LongAdder();
    private final Set<String> flows = new LinkedHashSet<>();
    private long written;
    private IOException failure;

    private SiftrLog(Path path, BufferedWriter out, int capacity) {
        this.path = path;
        this.out = out;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.enabledNanos = epochNanos();
        this.writer = Thread.ofPlatform().daemon().name("siftr-writer " + path.getFileName()).unstarted(this::run);
    }

    /** Opens (appends to, as FreeBSD does) the file and starts its writer. */
    static SiftrLog open(Path path) throws IOException {
        return open(path, QUEUE);
    }

    static SiftrLog open(Path path, int capacity) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        BufferedWriter w = Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        SiftrLog log = new SiftrLog(path, w, capacity);
        long t = log.enabledNanos;
        w.write("enable_time_secs=" + t / 1_000_000_000L + "\tenable_time_usecs=" + String.format("%06d", t % 1_000_000_000L / 1000)
                + "\tsiftrver=" + SiftrFormat.SIFTR_VERSION + "\tsysname=protosw\tsysver=" + Runtime.version().feature()
                + "\tipmode=4\n");
        log.writer.start();
        return log;
    }

    static long epochNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /** From the data path: queues the record or, when the writer is behind, drops and counts it. */
    void offer(SiftrRecord r) {
        if (!open) {
            return;
        }
        (r.out() ? outbound : in).increment();
        if (!queue.offer(r)) {
            dropped.increment();
        }
    }

    private void run() {
        StringBuilder sb = new StringBuilder(512);
        List<SiftrRecord> batch = new ArrayList<>(256);
        try {
            while (true) {
                SiftrRecord r = queue.poll(1, TimeUnit.SECONDS);
                if (r == null) {
                    continue;
                }
                batch.add(r);
                queue.drainTo(batch, 255);
                boolean stop = false;
                for (SiftrRecord x : batch) {
                    if (x == STOP) {
                        stop = true;
                        continue;
                    }
                    sb.setLength(0);
                    x.appendTo(sb);
                    write(sb);
                    flows.add(flow(x));
                }
                batch.clear();
                if (queue.isEmpty() || stop) {
                    flush();
                }
                if (stop) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String flow(SiftrRecord x) {
        StringBuilder sb = new StringBuilder();
        sb.append((x.laddr() >>> 24) & 0xff).append('.').append((x.laddr() >>> 16) & 0xff).append('.')
                .append((x.laddr() >>> 8) & 0xff).append('.').append(x.laddr() & 0xff).append(';').append(x.lport()).append('-');
        sb.append((x.faddr() >>> 24) & 0xff).append('.').append((x.faddr() >>> 16) & 0xff).append('.')
                .append((x.faddr() >>> 8) & 0xff).append('.').append(x.faddr() & 0xff).append(';').append(x.fport());
        return sb.toString();
    }

    private void write(CharSequence s) {
        if (failure != null) {
            return;
        }
        try {
            out.append(s);
            written++;
        } catch (IOException e) {
            fail(e);
        }
    }

    private void flush() {
        if (failure != null) {
            return;
        }
        try {
            out.flush();
        } catch (IOException e) {
            fail(e);
        }
    }

    private void fail(IOException e) {
        failure = e;
        LOG.error("siftr: writing {} failed; the trace stops here: {}", path, e.toString());
    }

    /**
     * Stops taking records, writes what is queued and the footer, and closes the file. Blocks
     * until the writer is done (bounded), so the file is complete when this returns.
     */
    void close() {
        if (!open) {
            return;
        }
        open = false;
        // the writer is draining: the stop mark waits for room rather than being lost
        try {
            if (!queue.offer(STOP, 10, TimeUnit.SECONDS)) {
                writer.interrupt();
            }
            writer.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long t = epochNanos();
        long i = in.sum();
        long o = outbound.sum();
        long d = dropped.sum();
        String footer = "disable_time_secs=" + t / 1_000_000_000L + "\tdisable_time_usecs="
                + String.format("%06d", t % 1_000_000_000L / 1000) + "\tnum_inbound_tcp_pkts=" + i
                + "\tnum_outbound_tcp_pkts=" + o + "\ttotal_tcp_pkts=" + (i + o) + "\tnum_dropped_pkts=" + d
                + "\tnum_written_pkts=" + written + "\tflow_list=" + String.join(",", flows) + "\n";
        try {
            if (failure == null) {
                out.write(footer);
            }
            out.close();
        } catch (IOException e) {
            LOG.warn("siftr: closing {} failed: {}", path, e.toString());
        }
        if (d > 0) {
            LOG.warn("siftr: {} of {} segment records were dropped: the writer of {} fell behind", d, i + o, path);
        }
    }

    boolean isOpen() {
        return open;
    }
}
