package org.protosw.bench;

import java.io.PrintStream;
import java.util.List;

/** One benchmark, measured on both stacks. */
interface BenchCase {
    List<String> NAMES = List.of("udp-rate", "socket-churn");

    /** What the figures count, per second. */
    String unit();

    double protosw(double seconds, PrintStream progress) throws Exception;

    double kernel(double seconds, PrintStream progress) throws Exception;

    static BenchCase byName(String name) {
        return switch (name) {
            case "udp-rate" -> new UdpRate();
            case "socket-churn" -> new SocketChurn();
            default -> throw new IllegalArgumentException(name);
        };
    }
}
