package org.protosw.tcp.internal;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What RACK adds to each segment of a bulk transfer (issue 12): the send map records a
 * segment when it goes out and forgets it when the cumulative ACK passes it, with a window of
 * {@code window} segments in flight; and, with SACK, one block marking segments above a hole.
 * In this package because the map is the TCP bundle's own. Run with
 * {@code java -cp benchmarks/target/protosw-bench.jar org.openjdk.jmh.Main TcpSendMapBench -prof gc}:
 * the gc profiler shows what a segment allocates (nothing, once the arrays have grown).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TcpSendMapBench {
    private static final int MSS = 1448;

    @Param({"16", "700"})
    int window;

    private TcpSendMap map;
    private int next;
    private long now;

    @Setup
    public void fill() {
        map = new TcpSendMap();
        next = -MSS * 8; // crosses 2^32 early
        for (int i = 0; i < window; i++) {
            map.sent(next, next + MSS, ++now);
            next += MSS;
        }
    }

    /** One segment out at the right edge, one acknowledged at the left: a bulk transfer's steady state. */
    @Benchmark
    public int sendAndAck() {
        map.sent(next, next + MSS, ++now);
        next += MSS;
        map.ackedTo(map.end(0));
        return map.size();
    }

    /**
     * The same with a hole: the segment at the left edge is held back and the one after it is
     * SACKed (an edge lookup and a mark) before the cumulative ACK covers both.
     */
    @Benchmark
    public long sendSackAndAck() {
        map.sent(next, next + MSS, ++now);
        next += MSS;
        int i = map.splitAt(map.start(1));
        map.markSacked(i);
        long sacked = map.sackedBytes();
        map.ackedTo(map.end(0));
        return sacked;
    }
}
