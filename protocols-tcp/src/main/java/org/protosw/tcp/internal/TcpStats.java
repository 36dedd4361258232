package org.protosw.tcp.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** {@code struct tcpstat}: the counters behind {@code netstat -s -p tcp}, in FreeBSD's wording. */
final class TcpStats {
    final LongAdder sndtotal = new LongAdder();
    final LongAdder sndpack = new LongAdder();
    final LongAdder sndbyte = new LongAdder();
    final LongAdder sndrexmitpack = new LongAdder();
    final LongAdder sndrexmitbyte = new LongAdder();
    final LongAdder sndacks = new LongAdder();
    final LongAdder delack = new LongAdder();
    final LongAdder sndprobe = new LongAdder();
    final LongAdder sndwinup = new LongAdder();
    final LongAdder sndctrl = new LongAdder();
    final LongAdder sndrst = new LongAdder();
    final LongAdder outerrors = new LongAdder();

    final LongAdder rcvtotal = new LongAdder();
    final LongAdder rcvackpack = new LongAdder();
    final LongAdder rcvackbyte = new LongAdder();
    final LongAdder rcvdupack = new LongAdder();
    final LongAdder rcvacktoomuch = new LongAdder();
    final LongAdder rcvpack = new LongAdder();
    final LongAdder rcvbyte = new LongAdder();
    final LongAdder rcvduppack = new LongAdder();
    final LongAdder rcvdupbyte = new LongAdder();
    final LongAdder rcvpartduppack = new LongAdder();
    final LongAdder rcvoopack = new LongAdder();
    final LongAdder rcvoobyte = new LongAdder();
    final LongAdder rcvpackafterwin = new LongAdder();
    final LongAdder rcvwinprobe = new LongAdder();
    final LongAdder rcvwinupd = new LongAdder();
    final LongAdder rcvafterclose = new LongAdder();
    final LongAdder rcvbadsum = new LongAdder();
    final LongAdder rcvbadoff = new LongAdder();
    final LongAdder rcvshort = new LongAdder();
    final LongAdder rcvbadopt = new LongAdder();
    final LongAdder pawsdrop = new LongAdder();
    final LongAdder noport = new LongAdder();
    final LongAdder badrst = new LongAdder();
    final LongAdder badsyn = new LongAdder();
    final LongAdder challengeAck = new LongAdder();
    final LongAdder sackRcvBlocks = new LongAdder();
    final LongAdder sackSndBlocks = new LongAdder();
    final LongAdder dsackSent = new LongAdder();
    final LongAdder dsackRcvd = new LongAdder();
    final LongAdder dsackBytes = new LongAdder();
    final LongAdder inerrors = new LongAdder();

    final LongAdder connattempt = new LongAdder();
    final LongAdder accepts = new LongAdder();
    final LongAdder listendrop = new LongAdder();
    final LongAdder connects = new LongAdder();
    final LongAdder drops = new LongAdder();
    final LongAdder conndrops = new LongAdder();
    final LongAdder closed = new LongAdder();
    final LongAdder rttupdated = new LongAdder();
    final LongAdder segstimed = new LongAdder();
    final LongAdder rexmttimeo = new LongAdder();
    final LongAdder sndrexmitbad = new LongAdder();
    final LongAdder sndrexmitbadfast = new LongAdder();
    final LongAdder timeoutdrop = new LongAdder();
    final LongAdder persisttimeo = new LongAdder();
    final LongAdder sndrexmitfast = new LongAdder();
    final LongAdder recoveryEpisodes = new LongAdder();
    final LongAdder sackRecoveryEpisodes = new LongAdder();
    final LongAdder rcvbufGrown = new LongAdder();
    final LongAdder sndbufGrown = new LongAdder();
    final LongAdder sackRexmits = new LongAdder();
    final LongAdder rackLost = new LongAdder();
    final LongAdder rackReoTimeouts = new LongAdder();
    final LongAdder rackReoWndGrown = new LongAdder();
    final LongAdder tlpSent = new LongAdder();
    final LongAdder tlpRepaired = new LongAdder();
    final LongAdder sackRexmitBytes = new LongAdder();
    final LongAdder keeptimeo = new LongAdder();
    final LongAdder syncacheAdded = new LongAdder();
    final LongAdder syncacheRetransmitted = new LongAdder();
    final LongAdder syncacheDupsyn = new LongAdder();
    final LongAdder syncacheDropped = new LongAdder();
    final LongAdder syncacheCompleted = new LongAdder();
    final LongAdder syncacheBucketOverflow = new LongAdder();
    final LongAdder syncacheCacheOverflow = new LongAdder();
    final LongAdder syncacheReset = new LongAdder();
    final LongAdder syncacheTimedOut = new LongAdder();
    final LongAdder syncacheBadack = new LongAdder();
    final LongAdder syncacheAborted = new LongAdder();
    final LongAdder syncacheOverflowKept = new LongAdder();
    final LongAdder syncacheBadseq = new LongAdder();
    final LongAdder syncookiesSent = new LongAdder();
    final LongAdder syncookiesReceived = new LongAdder();
    final LongAdder syncookiesFailed = new LongAdder();
    final LongAdder mtudisc = new LongAdder();
    final LongAdder mturesent = new LongAdder();
    final LongAdder mturaised = new LongAdder();
    final LongAdder keepprobe = new LongAdder();
    final LongAdder keepdrops = new LongAdder();

    Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("packets sent", sndtotal.sum());
        m.put("data packets sent", sndpack.sum());
        m.put("data bytes sent", sndbyte.sum());
        m.put("data packets retransmitted", sndrexmitpack.sum());
        m.put("data bytes retransmitted", sndrexmitbyte.sum());
        m.put("ack-only packets", sndacks.sum());
        m.put("ack-only packets delayed", delack.sum());
        m.put("window probe packets", sndprobe.sum());
        m.put("window update packets", sndwinup.sum());
        m.put("control packets", sndctrl.sum());
        m.put("resets sent", sndrst.sum());
        m.put("output errors", outerrors.sum());
        m.put("packets received", rcvtotal.sum());
        m.put("acks", rcvackpack.sum());
        m.put("bytes acked", rcvackbyte.sum());
        m.put("duplicate acks", rcvdupack.sum());
        m.put("acks for unsent data", rcvacktoomuch.sum());
        m.put("packets received in-sequence", rcvpack.sum());
        m.put("bytes received in-sequence", rcvbyte.sum());
        m.put("completely duplicate packets", rcvduppack.sum());
        m.put("completely duplicate bytes", rcvdupbyte.sum());
        m.put("packets with some dup. data", rcvpartduppack.sum());
        m.put("out-of-order packets", rcvoopack.sum());
        m.put("out-of-order bytes", rcvoobyte.sum());
        m.put("packets of data after window", rcvpackafterwin.sum());
        m.put("window probes", rcvwinprobe.sum());
        m.put("window update packets received", rcvwinupd.sum());
        m.put("packets received after close", rcvafterclose.sum());
        m.put("discarded for bad checksums", rcvbadsum.sum());
        m.put("discarded for bad header offset fields", rcvbadoff.sum());
        m.put("discarded because packet too short", rcvshort.sum());
        m.put("discarded for bad options", rcvbadopt.sum());
        m.put("discarded due to PAWS", pawsdrop.sum());
        m.put("dropped due to no socket", noport.sum());
        m.put("bad resets", badrst.sum());
        m.put("bad SYNs in synchronized states", badsyn.sum());
        m.put("challenge ACKs sent", challengeAck.sum());
        m.put("SACK blocks received", sackRcvBlocks.sum());
        m.put("SACK blocks sent", sackSndBlocks.sum());
        m.put("D-SACK blocks sent", dsackSent.sum());
        m.put("D-SACK blocks received", dsackRcvd.sum());
        m.put("bytes reported duplicate by D-SACK", dsackBytes.sum());
        long errors = inerrors.sum();
        if (errors != 0) {
            m.put("dropped due to internal errors", errors);
        }
        m.put("connection requests", connattempt.sum());
        m.put("connection accepts", accepts.sum());
        m.put("listen queue overflows", listendrop.sum());
        m.put("connections established (including accepts)", connects.sum());
        m.put("connections closed (including drops)", closed.sum());
        m.put("connections dropped", drops.sum());
        m.put("embryonic connections dropped", conndrops.sum());
        m.put("segments updated rtt", rttupdated.sum());
        m.put("segments timed", segstimed.sum());
        m.put("retransmit timeouts", rexmttimeo.sum());
        m.put("spurious retransmit timeouts undone", sndrexmitbad.sum());
        m.put("spurious fast retransmits undone (D-SACK)", sndrexmitbadfast.sum());
        m.put("connections dropped by rexmit timeout", timeoutdrop.sum());
        m.put("persist timeouts", persisttimeo.sum());
        m.put("fast retransmits", sndrexmitfast.sum());
        m.put("recovery episodes", recoveryEpisodes.sum());
        m.put("SACK recovery episodes", sackRecoveryEpisodes.sum());
        m.put("receive buffer autotuning steps", rcvbufGrown.sum());
        m.put("send buffer autotuning steps", sndbufGrown.sum());
        m.put("segment rexmits in SACK recovery", sackRexmits.sum());
        m.put("byte rexmits in SACK recovery", sackRexmitBytes.sum());
        m.put("segments deemed lost by RACK", rackLost.sum());
        m.put("RACK reordering timeouts", rackReoTimeouts.sum());
        m.put("RACK reordering window widened by D-SACK", rackReoWndGrown.sum());
        m.put("tail loss probes sent", tlpSent.sum());
        m.put("tail losses repaired by a probe", tlpRepaired.sum());
        m.put("keepalive timeouts", keeptimeo.sum());
        m.put("syncache entries added", syncacheAdded.sum());
        m.put("syncache retransmitted", syncacheRetransmitted.sum());
        m.put("syncache dupsyn", syncacheDupsyn.sum());
        m.put("syncache dropped", syncacheDropped.sum());
        m.put("syncache completed", syncacheCompleted.sum());
        m.put("syncache bucket overflow", syncacheBucketOverflow.sum());
        m.put("syncache cache overflow", syncacheCacheOverflow.sum());
        m.put("syncache reset", syncacheReset.sum());
        m.put("syncache timed out", syncacheTimedOut.sum());
        m.put("syncache badack", syncacheBadack.sum());
        m.put("syncache aborted (listen queue full)", syncacheAborted.sum());
        m.put("syncache completions kept half-open (listen queue full, ACK dropped)", syncacheOverflowKept.sum());
        m.put("syncache segments outside the offered window (dropped)", syncacheBadseq.sum());
        m.put("cookies sent", syncookiesSent.sum());
        m.put("cookies received", syncookiesReceived.sum());
        m.put("cookies failed", syncookiesFailed.sum());
        m.put("path MTU discovery messages", mtudisc.sum());
        m.put("retransmissions after a path MTU decrease", mturesent.sum());
        m.put("path MTU estimates expired (MSS raised again)", mturaised.sum());
        m.put("keepalive probes sent", keepprobe.sum());
        m.put("connections dropped by keepalive", keepdrops.sum());
        return m;
    }

    // ---- live upgrade (TcpTransfer) ---------------------------------------------------

    /** Every counter by field name: the counters go on counting in the next revision. */
    Map<String, Object> exportState() {
        Map<String, Object> m = new LinkedHashMap<>();
        forEachCounter((name, c) -> m.put(name, c.sum()));
        return m;
    }

    /** Adds exported counters; names this revision does not know are left out. */
    void restore(Map<String, Object> m) {
        forEachCounter((name, c) -> {
            if (m.get(name) instanceof Long n) {
                c.add(n);
            }
        });
    }

    private void forEachCounter(java.util.function.BiConsumer<String, LongAdder> action) {
        for (java.lang.reflect.Field f : TcpStats.class.getDeclaredFields()) {
            if (f.getType() == LongAdder.class && !java.lang.reflect.Modifier.isStatic(f.getModifiers())) {
                try {
                    action.accept(f.getName(), (LongAdder) f.get(this));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }
}
