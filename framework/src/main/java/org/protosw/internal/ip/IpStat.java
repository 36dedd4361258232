package org.protosw.internal.ip;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** IP statistics ({@code struct ipstat}); striped counters so the data path never contends. */
final class IpStat {
    final LongAdder total = new LongAdder();
    final LongAdder badSum = new LongAdder();
    final LongAdder tooSmall = new LongAdder();
    final LongAdder tooShort = new LongAdder();
    final LongAdder badHlen = new LongAdder();
    final LongAdder badLen = new LongAdder();
    final LongAdder badOptions = new LongAdder();
    final LongAdder badVers = new LongAdder();
    final LongAdder delivered = new LongAdder();
    final LongAdder noProto = new LongAdder();
    final LongAdder forwarded = new LongAdder();
    final LongAdder cantForward = new LongAdder();
    final LongAdder notMember = new LongAdder();
    final LongAdder localOut = new LongAdder();
    final LongAdder rawOut = new LongAdder();
    final LongAdder oDropped = new LongAdder();
    final LongAdder noRoute = new LongAdder();
    final LongAdder fragmented = new LongAdder();
    final LongAdder fragmentsCreated = new LongAdder();
    final LongAdder cantFrag = new LongAdder();
    final LongAdder badAddr = new LongAdder();
    final LongAdder internalErrors = new LongAdder();
    /** Held for a protocol being upgraded, then dropped: the hold was full or the upgrade failed. */
    final LongAdder upgradeHoldDrops = new LongAdder();

    /** {@code netstat -s -p ip} wording and order, reassembly counters from {@code reass}. */
    Map<String, Long> toMap(IpReass reass) {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("total packets received", total.sum());
        m.put("bad header checksums", badSum.sum());
        m.put("with size smaller than minimum", tooSmall.sum());
        m.put("with data size < data length", tooShort.sum());
        m.put("with ip length > max ip packet size", reass.tooLong.sum());
        m.put("with header length < data size", badHlen.sum());
        m.put("with data length < header length", badLen.sum());
        m.put("with bad options", badOptions.sum());
        m.put("with incorrect version number", badVers.sum());
        m.put("fragments received", reass.fragments.sum());
        m.put("fragments dropped (dup or out of space)", reass.fragDropped.sum());
        m.put("fragments dropped after timeout", reass.fragTimeout.sum());
        m.put("reassembly queues dropped to make room", reass.reused.sum());
        m.put("packets reassembled ok", reass.reassembled.sum());
        m.put("packets for this host", delivered.sum());
        m.put("packets for unknown/unsupported protocol", noProto.sum());
        m.put("packets forwarded", forwarded.sum());
        m.put("packets not forwardable", cantForward.sum());
        m.put("packets received for unknown multicast group", notMember.sum());
        m.put("packets sent from this host", localOut.sum());
        m.put("packets sent with fabricated ip header", rawOut.sum());
        m.put("output packets dropped due to no bufs, etc.", oDropped.sum());
        m.put("output packets discarded due to no route", noRoute.sum());
        m.put("output datagrams fragmented", fragmented.sum());
        m.put("fragments created", fragmentsCreated.sum());
        m.put("datagrams that can't be fragmented", cantFrag.sum());
        m.put("datagrams with bad address in header", badAddr.sum());
        m.put("packets dropped by internal errors", internalErrors.sum());
        m.put("packets dropped while their protocol was upgraded", upgradeHoldDrops.sum());
        return m;
    }
}
