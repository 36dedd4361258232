package org.protosw.bench;

import java.io.PrintStream;
import java.util.List;

/** One benchmark, measured on both stacks. */
interface BenchCase {
    List<String> NAMES = List.of("udp-rate", "socket-churn", "tcp-bulk", "tcp-bulk-1m", "tcp-rr", "tcp-connect");

    /** What the figures count, per second. */
    String unit();

    double protosw(double seconds, PrintStream progress) throws Exception;

    double kernel(double seconds, PrintStream progress) throws Exception;

    static BenchCase byName(String name) {
        return switch (name) {
            case "udp-rate" -> new UdpRate();
            case "socket-churn" -> new SocketChurn();
            case "tcp-bulk" -> new TcpBulk(0);
            case "tcp-bulk-1m" -> new TcpBulk(1 << 20);
            case "tcp-rr" -> new TcpRr();
            case "tcp-connect" -> new TcpConnect();
            default -> throw new IllegalArgumentException(name);
        };
    }
}
