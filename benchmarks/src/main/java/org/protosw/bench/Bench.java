package org.protosw.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The side-by-side benchmark command: each case runs on protosw and on the host kernel
 * (Java NIO on 127.0.0.1) in the same run, and the table ends with the ratio
 * protosw / kernel (a case the kernel has no equivalent of says so instead).
 * Usage: {@code java -jar protosw-bench.jar [--seconds N] [--sysctl name=value]... [case...]};
 * each {@code --sysctl} sets a tunable in every protosw stack of the run, as a saved
 * configuration would.
 */
public final class Bench {
    private Bench() {
    }

    public static void main(String[] argv) throws Exception {
        double seconds = 5;
        List<String> cases = new ArrayList<>();
        for (int i = 0; i < argv.length; i++) {
            switch (argv[i]) {
                case "--seconds" -> {
                    if (i + 1 >= argv.length) {
                        usage("--seconds needs a number");
                    }
                    try {
                        seconds = Double.parseDouble(argv[++i]);
                    } catch (NumberFormatException e) {
                        usage("--seconds: '" + argv[i] + "' is not a number");
                    }
                    if (seconds <= 0 || seconds > 600) {
                        usage("--seconds must be above 0 and at most 600");
                    }
                }
                case "--sysctl" -> {
                    if (i + 1 >= argv.length) {
                        usage("--sysctl needs name=value (e.g. net.core.busy_read=0)");
                    }
                    String kv = argv[++i];
                    int eq = kv.indexOf('=');
                    // a name no stack has (a typo) is reported by the first stack made (Protosw.known)
                    if (eq <= 0 || eq == kv.length() - 1) {
                        usage("--sysctl: '" + kv + "' is not name=value (e.g. net.core.busy_read=0)");
                    }
                    Protosw.sysctl(kv.substring(0, eq), kv.substring(eq + 1));
                }
                case "-h", "--help" -> {
                    usage(null);
                }
                default -> {
                    if (!BenchCase.NAMES.contains(argv[i])) {
                        usage("unknown case '" + argv[i] + "'");
                    }
                    cases.add(argv[i]);
                }
            }
        }
        if (cases.isEmpty()) {
            cases.addAll(BenchCase.NAMES);
        }
        PrintStream out = System.out;
        out.printf(Locale.ROOT, "protosw side-by-side benchmark: %d case(s), %.1f s each side, %d cores, %s%n",
                cases.size(), seconds, Runtime.getRuntime().availableProcessors(), Runtime.version());
        if (!Protosw.sysctls().isEmpty()) {
            out.printf(Locale.ROOT, "protosw stacks start with %s%n", Protosw.sysctls());
        }
        List<Result> results = new ArrayList<>();
        for (String c : cases) {
            BenchCase bc = BenchCase.byName(c);
            double kernel;
            if (bc.noKernel() != null) {
                out.printf(Locale.ROOT, "[%s] kernel: %s%n", c, bc.noKernel());
                kernel = Double.NaN;
            } else {
                out.printf(Locale.ROOT, "[%s] kernel (127.0.0.1: NIO, or ping(8) for ICMP) ...%n", c);
                kernel = bc.kernel(seconds, out);
            }
            out.printf(Locale.ROOT, "[%s] protosw ...%n", c);
            double protosw = bc.protosw(seconds, out);
            results.add(new Result(c, bc.unit(), protosw, kernel, bc.detail(), bc.noKernel(), bc.failure()));
        }
        out.println();
        int w = 14; // as wide as before for the older names
        for (Result r : results) {
            w = Math.max(w, r.name.length());
        }
        String name = "%-" + w + "s";
        out.printf(Locale.ROOT, name + " %16s %16s %8s  %s%n", "case", "protosw", "kernel", "ratio", "unit");
        for (Result r : results) {
            if (r.noKernel != null) {
                // nothing to divide by: say so where the ratio would be
                out.printf(Locale.ROOT, name + " %16s %16s %8s  %s%n", r.name, figure(r.protosw), "-", "n/a", r.unit);
                out.printf(Locale.ROOT, name + " %s%n", "", r.noKernel);
            } else {
                out.printf(Locale.ROOT, name + " %16s %16s %7.2fx  %s%n", r.name, figure(r.protosw), figure(r.kernel), r.protosw / r.kernel, r.unit);
            }
            if (r.detail != null) {
                for (String line : r.detail.split("\n")) {
                    out.printf(Locale.ROOT, name + " %s%n", "", line);
                }
            }
        }
        // the figures are printed all the same; the status is what a script sees
        boolean failed = false;
        for (Result r : results) {
            if (r.failure != null) {
                out.printf(Locale.ROOT, "FAILED %s: %s%n", r.name, r.failure);
                failed = true;
            }
        }
        if (failed) {
            System.exit(1);
        }
    }

    /** Whole numbers for rates in the thousands, two decimals for small ones (Gbit/s). */
    private static String figure(double v) {
        return String.format(Locale.ROOT, v >= 1000 ? "%,.0f" : "%.2f", v);
    }

    private record Result(String name, String unit, double protosw, double kernel, String detail, String noKernel, String failure) {
    }

    private static void usage(String problem) {
        if (problem != null) {
            System.err.println("bench: " + problem);
        }
        System.err.println("usage: bench [--seconds N] [--sysctl name=value]... [" + String.join("|", BenchCase.NAMES) + "]...");
        System.exit(problem == null ? 0 : 2);
    }
}
