package org.protosw.ib.demo.internal.verbs;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

import org.protosw.ib.demo.internal.wire.IbWireStatus;

/**
 * The counters of one HCA (one vnet), in the manner of {@code netstat -s} and of the
 * {@code port_xmit_packets}, {@code rnr_nak_retry_err}... counters Linux's rdma tools show.
 */
public final class IbStats {
    public enum Counter {
        PKTS_SENT("packets sent"),
        PKTS_RCVD("packets received"),
        MSGS_SENT("messages sent (completed)"),
        MSGS_RCVD("messages received"),
        BYTES_SENT("payload bytes sent"),
        BYTES_RCVD("payload bytes received"),
        RDMA_WRITES_SENT("RDMA WRITE messages sent"),
        RDMA_WRITES_RCVD("RDMA WRITE messages received"),
        ACKS_SENT("ACKs sent"),
        ACKS_RCVD("ACKs received"),
        SEQ_NAKS_SENT("NAKs (PSN sequence error) sent"),
        SEQ_NAKS_RCVD("NAKs (PSN sequence error) received"),
        RNR_NAKS_SENT("RNR NAKs sent"),
        RNR_NAKS_RCVD("RNR NAKs received"),
        OTHER_NAKS_SENT("NAKs (invalid request, remote access) sent"),
        OTHER_NAKS_RCVD("NAKs (invalid request, remote access) received"),
        RETRANSMITS("packets retransmitted"),
        TIMEOUTS("local ACK timeouts"),
        RETRY_EXCEEDED("QPs failed: retries exhausted"),
        RNR_RETRY_EXCEEDED("QPs failed: RNR retries exhausted"),
        DUPLICATES("duplicate packets received"),
        OUT_OF_SEQUENCE("out-of-sequence packets received"),
        BAD_TRUNCATED("malformed: truncated"),
        BAD_VERSION("malformed: bad transport version"),
        BAD_OPCODE("malformed: unknown opcode"),
        BAD_PAD("malformed: bad pad or length"),
        BAD_AETH("malformed: reserved AETH syndrome"),
        BAD_LENGTH("malformed: payload not allowed by opcode"),
        BAD_ICRC("malformed: bad ICRC"),
        BAD_MAD("malformed: bad MAD"),
        BAD_IP("malformed: not a plain IPv4/UDP RoCEv2 datagram (IP options)"),
        BAD_RETH("RDMA WRITEs refused (bad R_Key or range)"),
        BAD_SEQUENCE("requests refused (opcode out of sequence, bad length)"),
        NO_QP("packets for no such QP"),
        NOT_READY("packets for a QP not in RTR/RTS"),
        CM_SENT("CM MADs sent"),
        CM_RCVD("CM MADs received"),
        CM_RETRANSMITS("CM MADs retransmitted"),
        CM_REJ_SENT("connections refused (REJ sent)"),
        CM_REJ_RCVD("connections refused by peer (REJ received)"),
        CM_ESTABLISHED("connections established"),
        CM_TIMEOUTS("connection attempts timed out"),
        CM_UNREACHABLE("connection attempts refused by ICMP port unreachable (the peer has no RoCEv2 port)"),
        OUTPUT_DROPS("packets not sent (UDP port 4791 closed, or UDP refused them)"),
        ICMP_ERRORS("ICMP errors about packets to port 4791"),
        PORT_OPENS("times port 4791 was opened (UDP loaded)"),
        PORT_ABORTS("times port 4791 was aborted (UDP left)"),
        PORT_ABORTS_UNDER_QPS("port aborts while QPs were still up (closed connections finishing; otherwise a bug,"
                + " UDP's sockets going before the AF_IB sockets above them)");

        public final String description;

        Counter(String description) {
            this.description = description;
        }
    }

    private final LongAdder[] counters = new LongAdder[Counter.values().length];

    public IbStats() {
        for (int i = 0; i < counters.length; i++) {
            counters[i] = new LongAdder();
        }
    }

    public void inc(Counter c) {
        counters[c.ordinal()].increment();
    }

    public void add(Counter c, long n) {
        counters[c.ordinal()].add(n);
    }

    public long get(Counter c) {
        return counters[c.ordinal()].sum();
    }

    /** Counts a malformed packet by what its check found. */
    public void malformed(IbWireStatus st) {
        inc(switch (st) {
            case TRUNCATED -> Counter.BAD_TRUNCATED;
            case BAD_VERSION -> Counter.BAD_VERSION;
            case BAD_OPCODE -> Counter.BAD_OPCODE;
            case BAD_PAD -> Counter.BAD_PAD;
            case BAD_AETH -> Counter.BAD_AETH;
            case BAD_LENGTH -> Counter.BAD_LENGTH;
            case BAD_ICRC -> Counter.BAD_ICRC;
            case BAD_MAD, OK -> Counter.BAD_MAD;
        });
    }

    /** Description to value, in declaration order. */
    public Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (Counter c : Counter.values()) {
            m.put(c.description, get(c));
        }
        return m;
    }
}
