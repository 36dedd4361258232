package org.protosw.ib.demo.internal.verbs;

import static org.protosw.ib.demo.internal.verbs.IbStats.Counter.*;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.protosw.ib.demo.IbGid;
import org.protosw.ib.demo.internal.wire.Aeth;
import org.protosw.ib.demo.internal.wire.Bth;
import org.protosw.ib.demo.internal.wire.IbOpcode;
import org.protosw.ib.demo.internal.wire.Reth;
import org.protosw.ib.demo.internal.wire.RocePacket;
import org.protosw.spi.Callout;

/**
 * A reliable-connected queue pair (IBTA Vol. 1, chapter 9.7 "Reliable service"; Linux's
 * soft-RoCE splits the same work into {@code rxe_req.c}, {@code rxe_resp.c} and
 * {@code rxe_comp.c}). The requester gives each packet the next PSN, asks for an ACK on each
 * message's last packet and every {@link IbConfig#ackReqEvery} packets, keeps up to a window
 * of packets unacknowledged, and goes back to the first unacknowledged PSN on a NAK (PSN
 * sequence error), after an RNR NAK once the RNR timer ran, and when the local ACK timer
 * expires, up to retry_cnt times without progress; then the QP goes to ERROR and its work
 * requests complete with RETRY_EXC_ERR. The responder accepts only the PSN it expects,
 * answers one NAK for a gap, re-ACKs duplicates, and answers RNR NAK while its receive queue
 * cannot take a message. Messages longer than {@link IbConfig#rdmaThreshold} go as RDMA
 * WRITE with immediate into the region the peer offered at connection time; the immediate
 * completes a receive there, so the peer's consumer sees one message either way.
 *
 * <p>One lock (the object's monitor) guards it all; input, timers and posting take it.
 */
public final class QueuePair {
    /** Asynchronous events ({@code ibv_async_event}) for the QP's consumer. */
    public interface Events {
        /** The QP went to ERROR; {@code why} says why (the first failed WR's status). */
        default void fatal(QueuePair qp, WcStatus why) {
        }
    }

    private static final int MSG_NONE = 0;
    private static final int MSG_SEND = 1;
    private static final int MSG_WRITE = 2;

    final Hca hca;
    public final int qpn;
    private final CompletionQueue sendCq;
    private final CompletionQueue recvCq;
    private volatile RecvQueue rq;
    private volatile Events events;
    /** Run once on the first packet received ({@code IBV_EVENT_COMM_EST}): the CM's cure for a lost RTU. */
    volatile Runnable onCommEst;

    private QpState state = QpState.RESET;
    private int pkey = Bth.DEFAULT_PKEY;
    private IbGid remoteGid;
    private int remoteQpn;
    private int mtu;
    private int timeoutCode;
    private int retryCnt;
    private int rnrRetry;
    private int minRnrTimer;
    private int window;
    private int ackReqEvery;
    private int rdmaThreshold;

    // requester
    private final ArrayDeque<SendWr> inflight = new ArrayDeque<>();
    private final ArrayDeque<SendWr> pending = new ArrayDeque<>();
    private long queuedBytes;
    private int sndUna;
    private int sndNxt;
    private int sndMax;
    private int retries;
    private int rnrRetries;
    private boolean rnrWait;
    private final Callout ackTimer;
    private final Callout rnrTimer;
    // the peer's region for RDMA WRITE
    private long peerVa;
    private int peerRkey;
    private int peerRegion;
    private long ringHead;
    private long ringUsed;

    // responder
    private int ePsn;
    private int msn;
    private boolean nakSent;
    private int inMsg = MSG_NONE;
    private byte[] msgBuf = new byte[0];
    private int msgLen;
    private long writeStart;
    private long writeLen;
    private long writeOff;
    private int unacked;
    private byte[] region;
    private final long regionVa;
    private final int regionKey;
    private final int regionBytes;

    // per-QP counters (ib:qp)
    private long pktsSent;
    private long pktsRcvd;
    private long retransmits;
    private long timeouts;
    private long rnrNaksRcvd;
    private long rnrNaksSent;
    private long naksRcvd;
    private long naksSent;
    private long duplicates;
    private long outOfSequence;
    private WcStatus failure;

    QueuePair(Hca hca, int qpn, CompletionQueue sendCq, CompletionQueue recvCq, RecvQueue rq, Events events) {
        this.hca = hca;
        this.qpn = qpn;
        this.sendCq = sendCq;
        this.recvCq = recvCq;
        this.rq = rq;
        this.events = events;
        IbConfig c = hca.config;
        this.mtu = c.mtu;
        this.timeoutCode = c.timeoutCode;
        this.retryCnt = c.retryCount;
        this.rnrRetry = c.rnrRetry;
        this.minRnrTimer = c.minRnrTimer;
        this.window = c.window;
        this.ackReqEvery = c.ackReqEvery;
        this.rdmaThreshold = c.rdmaThreshold;
        this.regionBytes = c.regionBytes;
        this.regionVa = ((long) qpn << 32) | 0x1000L;
        this.regionKey = ThreadLocalRandom.current().nextInt() | 1;
        this.ackTimer = hca.port.newCallout(this::ackTimeout);
        this.rnrTimer = hca.port.newCallout(this::rnrTimerFired);
    }

    public void setRecvQueue(RecvQueue rq) {
        this.rq = rq;
    }

    public void setEvents(Events events) {
        this.events = events;
    }

    // ---- state machine (ibv_modify_qp) ----

    /** RESET → INIT. */
    public synchronized void toInit(int pkey) {
        transition(QpState.INIT);
        this.pkey = pkey;
    }

    /** INIT → RTR: the peer, and the first PSN expected from it. */
    public synchronized void toRtr(IbGid remoteGid, int remoteQpn, int rqPsn) {
        transition(QpState.RTR);
        this.remoteGid = remoteGid;
        this.remoteQpn = remoteQpn;
        this.ePsn = rqPsn & Psn.MASK;
    }

    /** RTR → RTS: the own first PSN, and the peer's RDMA WRITE region. */
    public synchronized void toRts(int sqPsn, long peerVa, int peerRkey, int peerRegion) {
        transition(QpState.RTS);
        this.sndUna = this.sndNxt = this.sndMax = sqPsn & Psn.MASK;
        this.peerVa = peerVa;
        this.peerRkey = peerRkey;
        this.peerRegion = peerRegion;
        pump();
    }

    /** Any state → ERROR, flushing every outstanding work request. */
    public void toError(WcStatus why) {
        Events ev;
        synchronized (this) {
            if (state == QpState.ERROR) {
                return;
            }
            ev = fail(why);
        }
        if (ev != null) {
            ev.fatal(this, why);
        }
    }

    private void transition(QpState next) {
        if (!state.mayGoTo(next)) {
            throw new IllegalStateException("QP " + qpn + ": " + state + " -> " + next + " is not a valid transition");
        }
        state = next;
    }

    /** Moves to ERROR under the lock; returns the events to tell outside it. */
    private Events fail(WcStatus why) {
        state = QpState.ERROR;
        failure = why;
        ackTimer.stop();
        rnrTimer.stop();
        WcStatus st = why;
        for (SendWr w : inflight) {
            sendCq.push(new WorkCompletion(w.wrId, opcodeOf(w), st, w.len, null, 0, false));
            st = WcStatus.WR_FLUSH_ERR;
        }
        for (SendWr w : pending) {
            sendCq.push(new WorkCompletion(w.wrId, opcodeOf(w), WcStatus.WR_FLUSH_ERR, w.len, null, 0, false));
        }
        inflight.clear();
        pending.clear();
        queuedBytes = 0;
        inMsg = MSG_NONE;
        msgBuf = new byte[0];
        region = null;
        return events;
    }

    // ---- posting ----

    /**
     * {@code ibv_post_send} of a SEND (or, above the RDMA threshold and when the peer offered
     * a region that can hold it, an RDMA WRITE with immediate). The array is the QP's until
     * the completion.
     *
     * @return false when the QP is not in RTS or ERROR (nothing posted)
     */
    public synchronized boolean postSend(long wrId, byte[] data, int off, int len, int imm, boolean hasImm) {
        if (state == QpState.ERROR) {
            sendCq.push(new WorkCompletion(wrId, WorkCompletion.SEND, WcStatus.WR_FLUSH_ERR, len, null, 0, false));
            return true;
        }
        if (state != QpState.RTS && state != QpState.RTR) {
            return false;
        }
        boolean write = len > rdmaThreshold && len <= peerRegion / 2;
        SendWr w = new SendWr(wrId, write ? SendWr.RDMA_WRITE_IMM : SendWr.SEND, data, off, len,
                write ? len : imm, write || hasImm);
        pending.add(w);
        queuedBytes += len;
        pump();
        return true;
    }

    /** Bytes posted and not yet completed (what a socket's send limit counts). */
    public synchronized long queuedBytes() {
        return queuedBytes;
    }

    /** Nothing is waiting to be sent or acknowledged. */
    public synchronized boolean sendIdle() {
        return inflight.isEmpty() && pending.isEmpty();
    }

    public synchronized QpState state() {
        return state;
    }

    /** Why the QP went to ERROR (the first failed work request's status), or null. */
    public synchronized WcStatus failure() {
        return failure;
    }

    public synchronized IbGid remoteGid() {
        return remoteGid;
    }

    public synchronized int remoteQpn() {
        return remoteQpn;
    }

    /** The region this QP offers its peer for RDMA WRITE: its virtual address, R_Key and size. */
    public long regionVa() {
        return regionVa;
    }

    public int regionKey() {
        return regionKey;
    }

    public int regionBytes() {
        return regionBytes;
    }

    /** The RNR timer ran or the consumer posted receives: try what was refused now. */
    public synchronized void kick() {
        if (rnrWait) {
            rnrTimer.stop();
            rnrWait = false;
        }
        pump();
    }

    // ---- requester ----

    private void pump() {
        if (state != QpState.RTS || rnrWait) {
            return;
        }
        while (Psn.diff(sndNxt, sndUna) < window) {
            SendWr w = null;
            for (SendWr x : inflight) {
                if (x.covers(sndNxt)) {
                    w = x;
                    break;
                }
            }
            if (Psn.lt(sndNxt, sndMax)) {
                if (w == null) {
                    // cannot happen while the deques hold every unacked WR; resynchronize
                    sndNxt = sndMax;
                    continue;
                }
                retransmits++;
                hca.stats.inc(RETRANSMITS);
            } else if (w == null) {
                // the next packet is the first of the next work request
                w = pending.peek();
                if (w == null) {
                    break;
                }
                if (w.opcode == SendWr.RDMA_WRITE_IMM && !reserveRing(w)) {
                    break;
                }
                pending.poll();
                w.firstPsn = sndMax;
                w.npkts = Math.max(1, (w.len + mtu - 1) / mtu);
                inflight.add(w);
            }
            transmit(w, Psn.diff(sndNxt, w.firstPsn));
            if (sndNxt == sndMax) {
                sndMax = Psn.add(sndMax, 1);
            }
            sndNxt = Psn.add(sndNxt, 1);
        }
        if (sndUna != sndMax && !ackTimer.pending()) {
            armAckTimer();
        }
    }

    private boolean reserveRing(SendWr w) {
        long head = ringHead;
        long charge = w.len;
        if (head + w.len > peerRegion) {
            charge += peerRegion - head;
            head = 0;
        }
        if (ringUsed + charge > peerRegion) {
            return false;
        }
        w.remoteOffset = head;
        w.ringCharge = (int) charge;
        ringUsed += charge;
        ringHead = head + w.len;
        return true;
    }

    private void transmit(SendWr w, int idx) {
        boolean last = idx == w.npkts - 1;
        boolean first = idx == 0;
        int pOff = idx * mtu;
        int plen = Math.min(mtu, w.len - pOff);
        int op;
        if (w.opcode == SendWr.SEND) {
            if (first && last) {
                op = w.hasImm ? IbOpcode.RC_SEND_ONLY_IMM : IbOpcode.RC_SEND_ONLY;
            } else if (first) {
                op = IbOpcode.RC_SEND_FIRST;
            } else if (last) {
                op = w.hasImm ? IbOpcode.RC_SEND_LAST_IMM : IbOpcode.RC_SEND_LAST;
            } else {
                op = IbOpcode.RC_SEND_MIDDLE;
            }
        } else {
            if (first && last) {
                op = IbOpcode.RC_RDMA_WRITE_ONLY_IMM;
            } else if (first) {
                op = IbOpcode.RC_RDMA_WRITE_FIRST;
            } else if (last) {
                op = IbOpcode.RC_RDMA_WRITE_LAST_IMM;
            } else {
                op = IbOpcode.RC_RDMA_WRITE_MIDDLE;
            }
        }
        int ext = IbOpcode.extLength(op);
        int len = RocePacket.packetLength(ext, plen);
        byte[] b = new byte[len];
        int psn = sndNxt;
        boolean ackReq = last || (psn % ackReqEvery) == 0 || Psn.diff(Psn.add(psn, 1), sndUna) >= window;
        new Bth().wrap(b, 0).write(op, last, RocePacket.pad(plen), pkey, remoteQpn, ackReq, psn);
        int at = Bth.LENGTH;
        if (IbOpcode.hasReth(op)) {
            new Reth().wrap(b, at).write(peerVa + w.remoteOffset, peerRkey, w.len);
            at += Reth.LENGTH;
        }
        if (IbOpcode.hasImm(op)) {
            b[at] = (byte) (w.imm >>> 24);
            b[at + 1] = (byte) (w.imm >>> 16);
            b[at + 2] = (byte) (w.imm >>> 8);
            b[at + 3] = (byte) w.imm;
            at += 4;
        }
        System.arraycopy(w.data, w.off + pOff, b, at, plen);
        pktsSent++;
        hca.stats.inc(PKTS_SENT);
        hca.stats.add(BYTES_SENT, plen);
        hca.port.output(remoteGid, b, len);
    }

    private void armAckTimer() {
        long us = IbConfig.timeoutMicros(timeoutCode);
        if (us != Long.MAX_VALUE) {
            ackTimer.reset(us, TimeUnit.MICROSECONDS);
        }
    }

    /** Everything up to and including {@code psn} arrived. */
    private void acked(int psn) {
        if (Psn.lt(psn, sndUna) || !Psn.lt(psn, sndMax)) {
            return; // old, or for a PSN never sent
        }
        sndUna = Psn.add(psn, 1);
        if (Psn.lt(sndNxt, sndUna)) {
            sndNxt = sndUna;
        }
        retries = 0;
        rnrRetries = 0;
        Iterator<SendWr> it = inflight.iterator();
        while (it.hasNext()) {
            SendWr w = it.next();
            if (!Psn.le(w.lastPsn(), psn)) {
                break;
            }
            it.remove();
            queuedBytes -= w.len;
            if (w.opcode == SendWr.RDMA_WRITE_IMM) {
                ringUsed -= w.ringCharge;
                hca.stats.inc(RDMA_WRITES_SENT);
            }
            hca.stats.inc(MSGS_SENT);
            sendCq.push(new WorkCompletion(w.wrId, opcodeOf(w), WcStatus.SUCCESS, w.len, null, 0, false));
        }
        if (ringUsed == 0) {
            ringHead = 0;
        }
        ackTimer.stop();
        if (sndUna != sndMax) {
            armAckTimer();
        }
    }

    private void ackTimeout() {
        Events ev = null;
        synchronized (this) {
            if (state != QpState.RTS || sndUna == sndMax || rnrWait) {
                return;
            }
            timeouts++;
            hca.stats.inc(TIMEOUTS);
            if (++retries > retryCnt) {
                hca.stats.inc(RETRY_EXCEEDED);
                ev = fail(WcStatus.RETRY_EXC_ERR);
            } else {
                sndNxt = sndUna;
                pump();
                if (!ackTimer.pending()) {
                    armAckTimer();
                }
            }
        }
        if (ev != null) {
            ev.fatal(this, WcStatus.RETRY_EXC_ERR);
        }
    }

    private void rnrTimerFired() {
        synchronized (this) {
            if (!rnrWait) {
                return;
            }
            rnrWait = false;
            pump();
        }
    }

    private void ackInput(RocePacket p) {
        Aeth a = p.aeth();
        int psn = p.bth().psn();
        Events ev = null;
        WcStatus why = null;
        synchronized (this) {
            if (state != QpState.RTS) {
                return;
            }
            switch (a.kind()) {
                case Aeth.KIND_ACK -> {
                    hca.stats.inc(ACKS_RCVD);
                    acked(psn);
                    pump();
                }
                case Aeth.KIND_RNR_NAK -> {
                    rnrNaksRcvd++;
                    hca.stats.inc(RNR_NAKS_RCVD);
                    if (Psn.lt(psn, sndUna) || !Psn.lt(psn, sndMax)) {
                        return;
                    }
                    acked(Psn.add(psn, -1));
                    if (rnrRetry != 7 && ++rnrRetries > rnrRetry) {
                        hca.stats.inc(RNR_RETRY_EXCEEDED);
                        why = WcStatus.RNR_RETRY_EXC_ERR;
                        ev = fail(why);
                    } else {
                        ackTimer.stop();
                        sndNxt = psn;
                        rnrWait = true;
                        rnrTimer.reset(Aeth.rnrTimerMicros(a.value()), TimeUnit.MICROSECONDS);
                    }
                }
                case Aeth.KIND_NAK -> {
                    naksRcvd++;
                    if (a.value() == Aeth.NAK_PSN_SEQ_ERROR) {
                        hca.stats.inc(SEQ_NAKS_RCVD);
                        if (Psn.lt(psn, sndUna) || !Psn.lt(psn, sndMax)) {
                            return;
                        }
                        acked(Psn.add(psn, -1));
                        sndNxt = psn;
                        pump();
                    } else {
                        hca.stats.inc(OTHER_NAKS_RCVD);
                        why = a.value() == Aeth.NAK_REMOTE_ACCESS ? WcStatus.REM_ACCESS_ERR : WcStatus.REM_INV_REQ_ERR;
                        ev = fail(why);
                    }
                }
                default -> {
                    // reserved kinds never pass RocePacket.check
                }
            }
        }
        if (ev != null) {
            ev.fatal(this, why);
        }
    }

    // ---- responder ----

    /** A checked RC packet for this QP (its ICRC verified by the port). */
    void input(RocePacket p) {
        Runnable established = onCommEst;
        if (established != null) {
            onCommEst = null;
            established.run();
        }
        int op = p.bth().opcode();
        if (op == IbOpcode.RC_ACK) {
            ackInput(p);
            return;
        }
        Events ev = null;
        WcStatus why = null;
        synchronized (this) {
            if (state != QpState.RTR && state != QpState.RTS) {
                hca.stats.inc(NOT_READY);
                return;
            }
            pktsRcvd++;
            hca.stats.inc(PKTS_RCVD);
            int psn = p.bth().psn();
            int d = Psn.diff(psn, ePsn);
            if (d < 0) {
                duplicates++;
                hca.stats.inc(DUPLICATES);
                sendAck(Aeth.KIND_ACK, Aeth.CREDITS_INVALID, Psn.add(ePsn, -1));
            } else if (d > 0) {
                outOfSequence++;
                hca.stats.inc(OUT_OF_SEQUENCE);
                if (!nakSent) {
                    nakSent = true;
                    naksSent++;
                    hca.stats.inc(SEQ_NAKS_SENT);
                    sendAck(Aeth.KIND_NAK, Aeth.NAK_PSN_SEQ_ERROR, ePsn);
                }
            } else {
                why = inOrder(p, op);
                if (why != null) {
                    ev = fail(why);
                }
            }
        }
        if (ev != null) {
            ev.fatal(this, why);
        }
    }

    /** The packet with the expected PSN; returns a failure status when it is refused for good. */
    private WcStatus inOrder(RocePacket p, int op) {
        boolean first = IbOpcode.isFirst(op);
        boolean last = IbOpcode.isLast(op);
        int plen = p.payloadLength();
        int kind = IbOpcode.isSend(op) ? MSG_SEND : MSG_WRITE;
        if ((inMsg == MSG_NONE) != first || (inMsg != MSG_NONE && inMsg != kind) || plen > mtu || (!last && plen != mtu)) {
            return refuse(Aeth.NAK_INVALID_REQUEST, BAD_SEQUENCE);
        }
        if (kind == MSG_SEND) {
            if (first && !rq.posted()) {
                return rnr();
            }
            int total = (first ? 0 : msgLen) + plen;
            if (last && !rq.fits(total)) {
                return rnr();
            }
            if (first) {
                msgLen = 0;
            }
            if (msgBuf.length < msgLen + plen) {
                msgBuf = Arrays.copyOf(msgBuf, Math.max(msgLen + plen, msgBuf.length * 2));
            }
            System.arraycopy(p.array(), p.payloadOffset(), msgBuf, msgLen, plen);
            msgLen += plen;
            if (last) {
                byte[] msg = Arrays.copyOf(msgBuf, msgLen);
                if (msgBuf.length > 64 * 1024) {
                    msgBuf = new byte[0];
                }
                boolean imm = IbOpcode.hasImm(op);
                deliver(new WorkCompletion(msn, WorkCompletion.RECV, WcStatus.SUCCESS, msg.length, msg, imm ? p.imm() : 0, imm));
                inMsg = MSG_NONE;
            } else {
                inMsg = MSG_SEND;
            }
        } else {
            if (first) {
                Reth r = p.reth();
                long va = r.va();
                long dma = r.dmaLength();
                if (r.rkey() != regionKey || va < regionVa || dma > regionBytes || va - regionVa > regionBytes - dma) {
                    return refuse(Aeth.NAK_REMOTE_ACCESS, BAD_RETH);
                }
                if (!rq.posted()) {
                    return rnr();
                }
                writeStart = va - regionVa;
                writeLen = dma;
                writeOff = 0;
            }
            if (writeOff + plen > writeLen || (last && writeOff + plen != writeLen)) {
                return refuse(Aeth.NAK_INVALID_REQUEST, BAD_SEQUENCE);
            }
            boolean imm = IbOpcode.hasImm(op);
            if (last && imm && !rq.fits((int) writeLen)) {
                return rnr();
            }
            if (region == null) {
                region = new byte[regionBytes];
            }
            System.arraycopy(p.array(), p.payloadOffset(), region, (int) (writeStart + writeOff), plen);
            writeOff += plen;
            if (last) {
                inMsg = MSG_NONE;
                if (imm) {
                    byte[] msg = Arrays.copyOfRange(region, (int) writeStart, (int) (writeStart + writeLen));
                    hca.stats.inc(RDMA_WRITES_RCVD);
                    deliver(new WorkCompletion(msn, WorkCompletion.RECV_RDMA_WITH_IMM, WcStatus.SUCCESS, msg.length, msg, p.imm(), true));
                }
            } else {
                inMsg = MSG_WRITE;
            }
        }
        ePsn = Psn.add(ePsn, 1);
        nakSent = false;
        hca.stats.add(BYTES_RCVD, plen);
        if (p.bth().ackReq() || ++unacked >= ackReqEvery * 2) {
            unacked = 0;
            sendAck(Aeth.KIND_ACK, Aeth.CREDITS_INVALID, p.bth().psn());
        }
        return null;
    }

    private void deliver(WorkCompletion wc) {
        msn = Psn.add(msn, 1);
        hca.stats.inc(MSGS_RCVD);
        recvCq.push(wc);
    }

    private WcStatus rnr() {
        rnrNaksSent++;
        hca.stats.inc(RNR_NAKS_SENT);
        sendAck(Aeth.KIND_RNR_NAK, minRnrTimer, ePsn);
        // the RNR NAK answers this sequence: the packets behind it, already on their way, are
        // dropped without a PSN sequence NAK (the requester retries from ePsn after the timer)
        nakSent = true;
        return null;
    }

    private WcStatus refuse(int nakCode, IbStats.Counter counter) {
        naksSent++;
        hca.stats.inc(counter);
        hca.stats.inc(OTHER_NAKS_SENT);
        sendAck(Aeth.KIND_NAK, nakCode, ePsn);
        return nakCode == Aeth.NAK_REMOTE_ACCESS ? WcStatus.REM_ACCESS_ERR : WcStatus.REM_INV_REQ_ERR;
    }

    private void sendAck(int kind, int value, int psn) {
        int len = RocePacket.packetLength(Aeth.LENGTH, 0);
        byte[] b = new byte[len];
        new Bth().wrap(b, 0).write(IbOpcode.RC_ACK, false, 0, pkey, remoteQpn, false, psn);
        new Aeth().wrap(b, Bth.LENGTH).write(kind, value, msn);
        if (kind == Aeth.KIND_ACK) {
            hca.stats.inc(ACKS_SENT);
        }
        hca.port.output(remoteGid, b, len);
    }

    private static int opcodeOf(SendWr w) {
        return w.opcode == SendWr.SEND ? WorkCompletion.SEND : WorkCompletion.RDMA_WRITE;
    }

    /** What {@code ib:qp} shows of this QP. */
    public synchronized QpInfo info() {
        return new QpInfo(qpn, state, remoteGid, remoteQpn, sndNxt, sndUna, ePsn, msn, retries, retryCnt, rnrRetries,
                rnrRetry, inflight.size() + pending.size(), pktsSent, pktsRcvd, retransmits, timeouts, rnrNaksSent,
                rnrNaksRcvd, naksSent, naksRcvd, duplicates, outOfSequence, failure);
    }

    /** A snapshot of a queue pair for the shell and tests. */
    public record QpInfo(int qpn, QpState state, IbGid remoteGid, int remoteQpn, int sqPsn, int sqUnacked, int rqPsn,
            int msn, int retries, int retryCnt, int rnrRetries, int rnrRetry, int outstandingWrs, long pktsSent,
            long pktsRcvd, long retransmits, long timeouts, long rnrNaksSent, long rnrNaksRcvd, long naksSent,
            long naksRcvd, long duplicates, long outOfSequence, WcStatus failure) {
    }
}
