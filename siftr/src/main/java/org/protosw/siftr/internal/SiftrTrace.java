package org.protosw.siftr.internal;

import static org.protosw.siftr.internal.SiftrFormat.*;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A siftr log read back: its segment lines grouped by connection, header and footer lines
 * skipped. Lines that do not parse are counted, not fatal (a log cut short by a crash still
 * plots).
 */
final class SiftrTrace {
    /** One segment line, the fields the plots and the tests use. */
    record Line(boolean out, double time, String laddr, int lport, String faddr, int fport, long ssthresh, long cwnd,
            long srttMicros, long rtoMicros, long sndWnd, long rcvWnd, long inflight, long seq, long ack, int dataSz,
            boolean retransmit, boolean recovery, int rxtShift, int state, String vnet) {

        /** The connection, seen from the side that logged it: "10.0.0.1:49152-10.0.0.2:8200". */
        String flow() {
            return laddr + ":" + lport + "-" + faddr + ":" + fport;
        }
    }

    final Map<String, List<Line>> flows = new LinkedHashMap<>();
    int lines;
    int malformed;

    static SiftrTrace read(Path file) throws IOException {
        SiftrTrace t = new SiftrTrace();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String s;
            while ((s = r.readLine()) != null) {
                if (s.isEmpty() || s.startsWith("enable_time") || s.startsWith("disable_time")) {
                    continue;
                }
                Line l = parse(s);
                if (l == null) {
                    t.malformed++;
                    continue;
                }
                t.lines++;
                t.flows.computeIfAbsent(l.flow(), k -> new ArrayList<>()).add(l);
            }
        }
        return t;
    }

    static Line parse(String s) {
        String[] f = s.split(",", -1);
        if (f.length < DATA_SZ + 1 || !(f[DIRECTION].equals("i") || f[DIRECTION].equals("o"))) {
            return null;
        }
        try {
            return new Line(f[DIRECTION].equals("o"), Double.parseDouble(f[TIME]), f[LADDR], Integer.parseInt(f[LPORT]),
                    f[FADDR], Integer.parseInt(f[FPORT]), Long.parseLong(f[SSTHRESH]), Long.parseLong(f[CWND]),
                    Long.parseLong(f[SRTT]), Long.parseLong(f[RTO]), Long.parseLong(f[SND_WND]), Long.parseLong(f[RCV_WND]),
                    Long.parseLong(f[INFLIGHT]), Long.parseLong(f[SEQ]), Long.parseLong(f[ACK]), Integer.parseInt(f[DATA_SZ]),
                    f.length > REXMIT && f[REXMIT].equals("1"), f.length > RECOVERY && f[RECOVERY].equals("1"),
                    f.length > RXTSHIFT ? Integer.parseInt(f[RXTSHIFT]) : 0, Integer.parseInt(f[STATE]),
                    f.length > VNET ? f[VNET] : "");
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The connections with {@code port} at either end (all of them for 0). */
    Map<String, List<Line>> withPort(int port) {
        Map<String, List<Line>> m = new LinkedHashMap<>();
        flows.forEach((k, v) -> {
            Line first = v.get(0);
            if (port == 0 || first.lport() == port || first.fport() == port) {
                m.put(k, v);
            }
        });
        return m;
    }
}
