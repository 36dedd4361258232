package org.protosw.bench;

import java.io.PrintStream;
import java.util.List;

/** One benchmark, measured on both stacks. */
interface BenchCase {
    List<String> NAMES = List.of("udp-rate", "udp-rate-paced", "socket-churn", "tcp-bulk", "tcp-bulk-1m", "tcp-rr", "tcp-connect", "tcp-idle-memory",
            "ping-rtt", "ping-rtt-epair", "ping-rtt-idle", "ib-rc-rate", "ib-sdp-bulk", "tcp-syn-flood",
            "ip-frag-flood", "udp-flood", "tcp-upgrade-pause");

    /** What the figures count, per second. */
    String unit();

    double protosw(double seconds, PrintStream progress) throws Exception;

    double kernel(double seconds, PrintStream progress) throws Exception;

    /** Rates are; latencies are not (their ratio below 1 is protosw's win). */
    default boolean higherIsBetter() {
        return true;
    }

    /** A second line for the table (a latency case's p99), or null; several lines are each indented. */
    default String detail() {
        return null;
    }

    /**
     * Why the kernel has no equivalent of this case, printed instead of its figure and the
     * ratio, or null when it has one ({@link #kernel} is then not run).
     */
    default String noKernel() {
        return null;
    }

    /**
     * Why the case failed though it measured (udp-rate-paced lost datagrams), or null; the
     * command prints it after the table and exits with status 1.
     */
    default String failure() {
        return null;
    }

    static BenchCase byName(String name) {
        return switch (name) {
            case "udp-rate" -> new UdpRate(false);
            case "udp-rate-paced" -> new UdpRate(true);
            case "socket-churn" -> new SocketChurn();
            case "tcp-bulk" -> new TcpBulk(0);
            case "tcp-bulk-1m" -> new TcpBulk(1 << 20);
            case "tcp-rr" -> new TcpRr();
            case "tcp-connect" -> new TcpConnect();
            case "tcp-idle-memory" -> new TcpIdleMemory();
            case "ping-rtt" -> new PingRtt("lo0", 10);
            case "ping-rtt-epair" -> new PingRtt("epair", 10);
            case "ping-rtt-idle" -> new PingRtt("lo0", 1000);
            case "ib-rc-rate" -> new IbVsTcp(false);
            case "ib-sdp-bulk" -> new IbVsTcp(true);
            case "tcp-syn-flood" -> new Flood(Flood.Kind.SYN);
            case "ip-frag-flood" -> new Flood(Flood.Kind.FRAGMENTS);
            case "udp-flood" -> new Flood(Flood.Kind.UDP);
            case "tcp-upgrade-pause" -> new TcpUpgradePause();
            default -> throw new IllegalArgumentException(name);
        };
    }
}
