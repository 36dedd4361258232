package org.protosw.ib.demo.internal.verbs;

import static org.protosw.ib.demo.internal.verbs.IbStats.Counter.*;
import static org.protosw.ib.demo.internal.wire.Mad.*;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.protosw.ib.demo.IbGid;
import org.protosw.ib.demo.internal.wire.Bth;
import org.protosw.ib.demo.internal.wire.Deth;
import org.protosw.ib.demo.internal.wire.IbOpcode;
import org.protosw.ib.demo.internal.wire.IbWireStatus;
import org.protosw.ib.demo.internal.wire.Mad;
import org.protosw.ib.demo.internal.wire.RocePacket;
import org.protosw.spi.Callout;

/**
 * The communication manager (IBTA Vol. 1, chapter 12; Linux's {@code ib_cm}): connections
 * are set up by REQ → REP → RTU and refused by REJ (reason 8, invalid service ID, when
 * nobody listens), and torn down by DREQ → DREP. The MADs travel as RoCEv2 does it: UD
 * SEND_ONLY packets (BTH + DETH with the GSI Q_Key) to QP1 on the same UDP port 4791. REQ,
 * REP and DREQ are sent again every {@link IbConfig#cmTimeoutMillis} until answered, up to
 * {@link IbConfig#cmRetries} times; a duplicate REQ is answered with the REP again, a
 * duplicate REP with the RTU again, and a lost RTU is made up for by the first packet on the
 * connection ({@code IBV_EVENT_COMM_EST}).
 *
 * <p>Private data (ours, inside the IBTA private data fields): socket type (1 byte), 3
 * reserved, the sender's RDMA WRITE region VA (8), R_Key (4), size (4), and the largest
 * message its receive queue takes (4).
 */
public final class CmAgent {
    /** What the CM tells a connection's consumer. */
    public interface Handler {
        /** The connection is up; {@code peerMaxMessage} is the largest message the peer takes. */
        default void established(int peerMaxMessage) {
        }

        /** The peer refused (REJ with {@code reason}). */
        default void refused(int reason) {
        }

        /** REQ or REP went unanswered {@link IbConfig#cmRetries} times. */
        default void timedOut() {
        }

        /**
         * The peer sent DREQ; {@code reset} when it did so because its side failed or was
         * aborted (our private data in the DREQ says which), not because it closed.
         */
        default void disconnected(boolean reset) {
        }
    }

    /** A connection request as a listener sees it. */
    public record Request(IbGid src, long serviceId, int sockType, int peerMaxMessage) {
    }

    /** A listener's answer: the QP (in RESET) to connect, its receive limit, and the handler. */
    public record Accept(QueuePair qp, int maxMessage, Handler handler) {
    }

    /** A bound service ({@code ib_cm_listen}). */
    public interface Listener {
        /** Accept (a new QP) or null to refuse (REJ, consumer reject: the listen queue is full). */
        Accept request(Request req);
    }

    /** The reason {@link Handler#refused} is given when the peer has no port (not an IBTA REJ reason). */
    public static final int REJ_PORT_UNREACHABLE = -1;

    private static final int REQ_SENT = 1;
    private static final int REP_SENT = 2;
    private static final int ESTABLISHED = 3;
    private static final int DREQ_SENT = 4;

    private final class Conn {
        final int localId = ThreadLocalRandom.current().nextInt() | 1;
        int remoteId;
        final IbGid peer;
        final QueuePair qp;
        final Handler handler;
        final int startingPsn = ThreadLocalRandom.current().nextInt() & 0xffffff;
        int state;
        int peerMax;
        byte[] last;
        int tries;
        final Callout timer;

        Conn(IbGid peer, QueuePair qp, Handler handler) {
            this.peer = peer;
            this.qp = qp;
            this.handler = handler;
            this.timer = hca.port.newCallout(() -> timeout(this));
        }
    }

    private record RemoteKey(IbGid peer, int remoteId) {
    }

    private final Hca hca;
    private final Map<Long, Listener> listeners = new ConcurrentHashMap<>();
    private final Map<Integer, Conn> byLocal = new ConcurrentHashMap<>();
    private final Map<RemoteKey, Conn> byRemote = new ConcurrentHashMap<>();
    private final Map<Integer, Conn> byQpn = new ConcurrentHashMap<>();
    private long tid = ThreadLocalRandom.current().nextLong();
    private int udPsn;

    CmAgent(Hca hca) {
        this.hca = hca;
    }

    /** Binds a service ID; false when it is taken. */
    public boolean listen(long serviceId, Listener l) {
        return listeners.putIfAbsent(serviceId, l) == null;
    }

    public void unlisten(long serviceId, Listener l) {
        listeners.remove(serviceId, l);
    }

    public boolean listening(long serviceId) {
        return listeners.containsKey(serviceId);
    }

    /**
     * Sends a REQ for {@code qp} (in RESET) to service {@code serviceId} on {@code dst}. The
     * handler hears the outcome.
     *
     * @return false when there is no route to {@code dst}
     */
    public boolean connect(IbGid dst, long serviceId, QueuePair qp, int sockType, int maxMessage, Handler h) {
        IbGid src = hca.port.sourceFor(dst);
        if (src == null) {
            return false;
        }
        qp.toInit(Bth.DEFAULT_PKEY);
        Conn c = new Conn(dst, qp, h);
        byte[] b = newMad(ATTR_REQ);
        Mad m = mad(b);
        m.put32(LOCAL_COMM_ID, c.localId);
        m.put64(REQ_SERVICE_ID, serviceId);
        m.put64(REQ_LOCAL_CA_GUID, src.lo());
        m.put24(REQ_LOCAL_QPN, qp.qpn);
        m.put8(REQ_LOCAL_QPN + 3, 1); // responder resources
        m.put8(39, 1); // initiator depth
        m.put8(43, (hca.config.timeoutCode & 0x1f) << 3); // remote CM response timeout, RC, no e2e flow control
        m.put24(REQ_STARTING_PSN, c.startingPsn);
        m.put8(REQ_RETRY, (hca.config.timeoutCode & 0x1f) << 3 | (hca.config.retryCount & 7));
        m.put16(REQ_PKEY, Bth.DEFAULT_PKEY);
        m.put8(REQ_MTU_RNR, 3 << 4 | (hca.config.rnrRetry & 7)); // MTU 1024, no RDC
        m.put8(51, (hca.config.cmRetries & 0xf) << 4);
        m.put16(52, 0xffff); // RoCE has no LIDs: permissive
        m.put16(54, 0xffff);
        m.putGid(REQ_PRIMARY_LOCAL_GID, src.toBytes());
        m.putGid(REQ_PRIMARY_REMOTE_GID, dst.toBytes());
        m.put8(94, 64); // hop limit
        m.put8(96, (hca.config.timeoutCode & 0x1f) << 3); // local ACK timeout
        putPrivate(m, REQ_PRIVATE, sockType, qp, maxMessage);
        synchronized (this) {
            c.state = REQ_SENT;
            c.last = b;
            byLocal.put(c.localId, c);
            byQpn.put(qp.qpn, c);
        }
        send(dst, b, false);
        c.timer.reset(hca.config.cmTimeoutMillis, TimeUnit.MILLISECONDS);
        return true;
    }

    /** Sends DREQ for the connection of {@code qp} (nothing when it has none); the QP may be destroyed at once. */
    public void disconnect(QueuePair qp) {
        disconnect(qp, false);
    }

    /**
     * Sends DREQ for the connection of {@code qp}; {@code reset} tells the peer that this side
     * failed or was aborted (one byte of private data), so its application hears ECONNRESET
     * rather than the end of the stream.
     */
    public void disconnect(QueuePair qp, boolean reset) {
        Conn c;
        byte[] b;
        synchronized (this) {
            c = byQpn.remove(qp.qpn);
            if (c == null || c.state == DREQ_SENT) {
                return;
            }
            c.timer.stop();
            if (c.state == REQ_SENT) {
                drop(c);
                return;
            }
            c.state = DREQ_SENT;
            c.tries = 0;
            b = newMad(ATTR_DREQ);
            Mad m = mad(b);
            m.put32(LOCAL_COMM_ID, c.localId);
            m.put32(REMOTE_COMM_ID, c.remoteId);
            m.put24(DREQ_REMOTE_QPN, qp.remoteQpn());
            m.put8(DREQ_PRIVATE, reset ? 1 : 0);
            c.last = b;
        }
        send(c.peer, b, false);
        c.timer.reset(hca.config.cmTimeoutMillis, TimeUnit.MILLISECONDS);
    }

    /** A checked UD packet for QP1. */
    void input(IbGid src, RocePacket p) {
        if (p.deth().qkey() != Deth.GSI_QKEY) {
            hca.stats.inc(BAD_MAD);
            return;
        }
        Mad m = new Mad().wrap(p.array(), p.payloadOffset());
        IbWireStatus st = m.check();
        if (!st.ok()) {
            hca.stats.malformed(st);
            return;
        }
        hca.stats.inc(CM_RCVD);
        switch (m.attribute()) {
            case ATTR_REQ -> onReq(src, m);
            case ATTR_REP -> onRep(src, m);
            case ATTR_RTU -> onRtu(m);
            case ATTR_REJ -> onRej(m);
            case ATTR_DREQ -> onDreq(src, m);
            case ATTR_DREP -> onDrep(m);
            default -> hca.stats.inc(BAD_MAD);
        }
    }

    private void onReq(IbGid src, Mad m) {
        int remoteId = m.i32(LOCAL_COMM_ID);
        long sid = m.i64(REQ_SERVICE_ID);
        byte[] again;
        synchronized (this) {
            Conn dup = byRemote.get(new RemoteKey(src, remoteId));
            again = dup != null && dup.state != REQ_SENT ? dup.last : null;
        }
        if (again != null) {
            hca.stats.inc(CM_RETRANSMITS);
            send(src, again, true);
            return;
        }
        Listener l = listeners.get(sid);
        int sockType = m.u8(REQ_PRIVATE);
        int peerMax = m.i32(REQ_PRIVATE + 20);
        Accept a = l == null ? null : l.request(new Request(src, sid, sockType, peerMax));
        if (a == null) {
            reject(src, remoteId, l == null ? REJ_INVALID_SERVICE_ID : REJ_CONSUMER);
            return;
        }
        QueuePair qp = a.qp();
        Conn c = new Conn(src, qp, a.handler());
        c.remoteId = remoteId;
        qp.toInit(Bth.DEFAULT_PKEY);
        qp.toRtr(src, m.u24(REQ_LOCAL_QPN), m.u24(REQ_STARTING_PSN));
        qp.toRts(c.startingPsn, m.i64(REQ_PRIVATE + 4), m.i32(REQ_PRIVATE + 12), m.i32(REQ_PRIVATE + 16));
        byte[] b = newMad(ATTR_REP);
        Mad r = mad(b);
        r.put32(LOCAL_COMM_ID, c.localId);
        r.put32(REMOTE_COMM_ID, remoteId);
        r.put24(REP_LOCAL_QPN, qp.qpn);
        r.put24(REP_STARTING_PSN, c.startingPsn);
        r.put8(24, 1);
        r.put8(25, 1);
        r.put8(REP_RNR, (hca.config.rnrRetry & 7) << 5);
        r.put64(REP_LOCAL_CA_GUID, hca.port.sourceFor(src) == null ? 0 : hca.port.sourceFor(src).lo());
        putPrivate(r, REP_PRIVATE, sockType, qp, a.maxMessage());
        synchronized (this) {
            c.state = REP_SENT;
            c.last = b;
            byLocal.put(c.localId, c);
            byRemote.put(new RemoteKey(src, remoteId), c);
            byQpn.put(qp.qpn, c);
        }
        c.peerMax = peerMax;
        qp.onCommEst = () -> established(c);
        send(src, b, false);
        c.timer.reset(hca.config.cmTimeoutMillis, TimeUnit.MILLISECONDS);
    }

    private void onRep(IbGid src, Mad m) {
        Conn c = byLocal.get(m.i32(REMOTE_COMM_ID));
        if (c == null) {
            return;
        }
        byte[] rtu;
        boolean fresh = false;
        int peerMax = m.i32(REP_PRIVATE + 20);
        synchronized (this) {
            if (c.state == ESTABLISHED) {
                hca.stats.inc(CM_RETRANSMITS);
                rtu = c.last;
            } else if (c.state != REQ_SENT) {
                return;
            } else {
                c.timer.stop();
                c.remoteId = m.i32(LOCAL_COMM_ID);
                byRemote.put(new RemoteKey(src, c.remoteId), c);
                c.qp.toRtr(src, m.u24(REP_LOCAL_QPN), m.u24(REP_STARTING_PSN));
                c.qp.toRts(c.startingPsn, m.i64(REP_PRIVATE + 4), m.i32(REP_PRIVATE + 12), m.i32(REP_PRIVATE + 16));
                rtu = newMad(ATTR_RTU);
                Mad r = mad(rtu);
                r.put32(LOCAL_COMM_ID, c.localId);
                r.put32(REMOTE_COMM_ID, c.remoteId);
                c.state = ESTABLISHED;
                c.last = rtu;
                fresh = true;
                hca.stats.inc(CM_ESTABLISHED);
            }
        }
        send(src, rtu, !fresh);
        if (fresh) {
            c.handler.established(peerMax);
        }
    }

    private void onRtu(Mad m) {
        Conn c = byLocal.get(m.i32(REMOTE_COMM_ID));
        if (c != null) {
            c.qp.onCommEst = null;
            established(c);
        }
    }

    /** The passive side's connection is up (RTU or the first packet). */
    private void established(Conn c) {
        synchronized (this) {
            if (c.state != REP_SENT) {
                return;
            }
            c.state = ESTABLISHED;
            c.timer.stop();
            hca.stats.inc(CM_ESTABLISHED);
        }
        c.handler.established(c.peerMax);
    }

    private void onRej(Mad m) {
        Conn c = byLocal.get(m.i32(REMOTE_COMM_ID));
        if (c == null) {
            return;
        }
        synchronized (this) {
            if (c.state != REQ_SENT) {
                return;
            }
            drop(c);
        }
        hca.stats.inc(CM_REJ_RCVD);
        c.handler.refused(m.u16(REJ_REASON));
    }

    /**
     * The node {@code peer} has no RoCEv2 port (ICMP port unreachable for a packet sent to
     * it): each connection attempt to it that is still waiting for a REP is refused now,
     * instead of after every REQ retransmission.
     */
    public void portUnreachable(IbGid peer) {
        java.util.List<Conn> refused = new java.util.ArrayList<>();
        synchronized (this) {
            for (Conn c : byLocal.values()) {
                if (c.state == REQ_SENT && c.peer.equals(peer)) {
                    drop(c);
                    refused.add(c);
                }
            }
        }
        for (Conn c : refused) {
            hca.stats.inc(CM_UNREACHABLE);
            c.handler.refused(REJ_PORT_UNREACHABLE);
        }
    }

    private void onDreq(IbGid src, Mad m) {
        Conn c = byLocal.get(m.i32(REMOTE_COMM_ID));
        byte[] b = newMad(ATTR_DREP);
        Mad r = mad(b);
        r.put32(LOCAL_COMM_ID, m.i32(REMOTE_COMM_ID));
        r.put32(REMOTE_COMM_ID, m.i32(LOCAL_COMM_ID));
        send(src, b, false);
        if (c == null) {
            return;
        }
        boolean tell;
        synchronized (this) {
            tell = c.state == ESTABLISHED || c.state == REP_SENT;
            drop(c);
        }
        if (tell) {
            c.handler.disconnected(m.u8(DREQ_PRIVATE) != 0);
        }
    }

    private void onDrep(Mad m) {
        Conn c = byLocal.get(m.i32(REMOTE_COMM_ID));
        if (c != null) {
            synchronized (this) {
                drop(c);
            }
        }
    }

    private void timeout(Conn c) {
        byte[] again;
        Handler failed = null;
        synchronized (this) {
            if (c.state == ESTABLISHED || byLocal.get(c.localId) != c) {
                return;
            }
            if (++c.tries > hca.config.cmRetries) {
                drop(c);
                hca.stats.inc(CM_TIMEOUTS);
                failed = c.state == DREQ_SENT ? null : c.handler;
                again = null;
            } else {
                again = c.last;
            }
        }
        if (failed != null) {
            failed.timedOut();
            return;
        }
        if (again != null) {
            hca.stats.inc(CM_RETRANSMITS);
            send(c.peer, again, true);
            c.timer.reset(hca.config.cmTimeoutMillis, TimeUnit.MILLISECONDS);
        }
    }

    private void reject(IbGid src, int remoteId, int reason) {
        byte[] b = newMad(ATTR_REJ);
        Mad r = mad(b);
        r.put32(LOCAL_COMM_ID, 0);
        r.put32(REMOTE_COMM_ID, remoteId);
        r.put8(8, 0); // REQ was rejected
        r.put16(REJ_REASON, reason);
        hca.stats.inc(CM_REJ_SENT);
        send(src, b, false);
    }

    private void drop(Conn c) {
        c.timer.stop();
        byLocal.remove(c.localId, c);
        byRemote.remove(new RemoteKey(c.peer, c.remoteId), c);
        byQpn.remove(c.qp.qpn, c);
    }

    void close() {
        for (Conn c : byLocal.values()) {
            c.timer.stop();
        }
        byLocal.clear();
        byRemote.clear();
        byQpn.clear();
        listeners.clear();
    }

    private static void putPrivate(Mad m, int at, int sockType, QueuePair qp, int maxMessage) {
        m.put8(at, sockType);
        m.put64(at + 4, qp.regionVa());
        m.put32(at + 12, qp.regionKey());
        m.put32(at + 16, qp.regionBytes());
        m.put32(at + 20, maxMessage);
    }

    private static final int UD_EXT = Deth.LENGTH;
    private static final int MAD_PACKET = RocePacket.packetLength(UD_EXT, Mad.LENGTH);

    /** A UD packet for QP1 with a zeroed MAD of this attribute; BTH and DETH are filled in by {@link #send}. */
    private synchronized byte[] newMad(int attribute) {
        byte[] b = new byte[MAD_PACKET];
        mad(b).writeHeader(attribute, tid++);
        return b;
    }

    private static Mad mad(byte[] packet) {
        return new Mad().wrap(packet, Bth.LENGTH + UD_EXT);
    }

    private void send(IbGid dst, byte[] packet, boolean again) {
        int psn;
        synchronized (this) {
            psn = udPsn = (udPsn + 1) & 0xffffff;
        }
        // the port owns what it is given, and the CM keeps the original to send again
        byte[] b = packet.clone();
        new Bth().wrap(b, 0).write(IbOpcode.UD_SEND_ONLY, false, 0, Bth.DEFAULT_PKEY, Hca.QP1, false, psn);
        new Deth().wrap(b, Bth.LENGTH).write(Deth.GSI_QKEY, Hca.QP1);
        hca.stats.inc(CM_SENT);
        hca.port.output(dst, b, b.length);
    }
}
