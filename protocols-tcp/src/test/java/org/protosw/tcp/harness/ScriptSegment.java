package org.protosw.tcp.harness;

import java.util.ArrayList;
import java.util.List;

import org.protosw.wire.TcpHeader;

/**
 * One TCP segment as a script writes it: {@code S. 0:0(0) ack 1 win 65535 <mss 1460,nop,wscale 7>}
 * (tcpdump's notation, as packetdrill's). Sequence numbers are relative to the sender's initial
 * sequence number, acknowledgment numbers to the receiver's; {@code null} fields (written
 * {@code *}) match anything. Named apart from TCP's own {@code Segment}, the parsed inbound
 * segment of {@code tcp_input}.
 */
record ScriptSegment(int flags, long seq, int len, Long ack, Integer win, boolean winGiven, List<Option> options, int line) {

    ScriptSegment withOptions(List<Option> o) {
        return new ScriptSegment(flags, seq, len, ack, win, winGiven, o, line);
    }

    /** A TCP option; a null value is a wildcard ({@code *}). */
    record Option(String kind, Long a, Long b) {
        @Override
        public String toString() {
            return switch (kind) {
                case "mss", "wscale" -> kind + " " + str(a);
                case "TS" -> "TS val " + str(a) + " ecr " + str(b);
                case "sack" -> "sack " + str(a) + ":" + str(b);
                default -> kind;
            };
        }

        private static String str(Long v) {
            return v == null ? "*" : Long.toString(v);
        }
    }

    static String flagString(int f) {
        StringBuilder sb = new StringBuilder();
        if ((f & TcpHeader.SYN) != 0) sb.append('S');
        if ((f & TcpHeader.FIN) != 0) sb.append('F');
        if ((f & TcpHeader.RST) != 0) sb.append('R');
        if ((f & TcpHeader.PSH) != 0) sb.append('P');
        if ((f & TcpHeader.URG) != 0) sb.append('U');
        if ((f & TcpHeader.ACK) != 0) sb.append('.');
        return sb.toString();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(flagString(flags)).append(' ')
                .append(seq).append(':').append(seq + len).append('(').append(len).append(')');
        if (ack != null) {
            sb.append(" ack ").append(ack);
        }
        if (winGiven) {
            sb.append(" win ").append(win == null ? "*" : win.toString());
        }
        if (options != null && !options.isEmpty()) {
            List<String> o = new ArrayList<>();
            options.forEach(x -> o.add(x.toString()));
            sb.append(" <").append(String.join(",", o)).append('>');
        }
        return sb.toString();
    }
}
