package org.protosw.internal.net;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;

import org.protosw.spi.Packet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One packet capture on one interface, written to a pcap file (what {@code tcpdump -i if
 * -w file} does through BPF). It sees packets as the interface sends them (before any
 * outbound pipe) and as it delivers them to the stack (after any inbound pipe), copies
 * their bytes into the file's buffer and never keeps the packet. With a packet limit it
 * stops itself after writing that many.
 */
public final class Capture implements PacketTap {
    private static final Logger LOG = LoggerFactory.getLogger(Capture.class);

    /** Which packets are captured. */
    public enum Direction {
        IN, OUT, BOTH;

        boolean matches(boolean inbound) {
            return this == BOTH || (this == IN) == inbound;
        }

        /** {@code in}, {@code out}, {@code both} (or {@code inout}); null or blank means both. */
        public static Direction parse(String word) {
            if (word == null || word.isBlank()) {
                return BOTH;
            }
            return switch (word.strip().toLowerCase(Locale.ROOT)) {
                case "in" -> IN;
                case "out" -> OUT;
                case "both", "inout" -> BOTH;
                default -> throw new IllegalArgumentException("capture direction \"" + word + "\" unknown (accepted: in, out, both)");
            };
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Where a capture is in its life. */
    public enum State {
        /** Writing packets. */
        RUNNING,
        /** Reached its packet limit. */
        DONE,
        /** Stopped by the user. */
        STOPPED,
        /** Its interface was destroyed. */
        DETACHED,
        /** Writing the file failed. */
        FAILED;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final int id;
    private final NetInterface ifp;
    private final Path file;
    private final Direction direction;
    private final long maxPackets;
    private final PcapWriter writer;
    private final long baseMicros;
    private final long baseNanos;
    private volatile State state = State.RUNNING;
    private long written;

    Capture(int id, NetInterface ifp, Path file, Direction direction, long maxPackets, PcapWriter writer) {
        this.id = id;
        this.ifp = ifp;
        this.file = file;
        this.direction = direction;
        this.maxPackets = maxPackets;
        this.writer = writer;
        Instant now = Instant.now();
        this.baseNanos = System.nanoTime();
        this.baseMicros = now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
    }

    public int id() {
        return id;
    }

    public NetInterface ifp() {
        return ifp;
    }

    public Path file() {
        return file;
    }

    public Direction direction() {
        return direction;
    }

    public State state() {
        return state;
    }

    public CaptureInfo info() {
        return new CaptureInfo(id, ifp.name(), file, direction.toString(), writer.packets(), writer.bytes(), maxPackets, state);
    }

    @Override
    public void tap(NetInterface from, Packet p, boolean inbound) {
        if (state != State.RUNNING || !direction.matches(inbound)) {
            return;
        }
        boolean limitReached;
        synchronized (this) {
            if (state != State.RUNNING) {
                return;
            }
            try {
                writer.write(baseMicros + (System.nanoTime() - baseNanos) / 1000, p.array(), p.offset(), p.length());
            } catch (IOException e) {
                LOG.warn("capture {} on {}: writing {} failed, capture stopped", id, ifp.name(), file, e);
                end(State.FAILED);
                return;
            }
            written++;
            limitReached = maxPackets > 0 && written >= maxPackets;
        }
        if (limitReached) {
            end(State.DONE);
        }
    }

    @Override
    public void detached(NetInterface from) {
        end(State.DETACHED);
    }

    /** Stops the capture (if still running) and closes its file. */
    public void stop() {
        end(State.STOPPED);
    }

    private synchronized void end(State why) {
        if (state != State.RUNNING) {
            return;
        }
        state = why;
        if (ifp.captureTap() == this) {
            ifp.setCaptureTap(null);
        }
        try {
            writer.close();
        } catch (IOException e) {
            LOG.warn("capture {} on {}: closing {} failed", id, ifp.name(), file, e);
            state = State.FAILED;
        }
    }

    @Override
    public String toString() {
        return "capture " + id + " on " + ifp.name() + " (" + direction + ") to " + file + ": " + state;
    }
}
