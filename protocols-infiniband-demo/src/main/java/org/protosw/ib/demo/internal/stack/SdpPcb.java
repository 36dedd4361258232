package org.protosw.ib.demo.internal.stack;

import java.util.ArrayDeque;

import org.protosw.ib.demo.internal.verbs.WorkCompletion;
import org.protosw.ib.demo.internal.wire.Bsdh;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SocketException;
import org.protosw.spi.Packet;
import org.protosw.spi.ProtoSocket;
import org.protosw.spi.SockBuf;

/**
 * A SOCK_STREAM socket, after SDP (IBTA Vol. 1, Annex A4): the stream is cut into messages
 * of at most {@link #MESSAGE} bytes, each starting with a {@link Bsdh}. The receiver has
 * {@code SO_RCVBUF / 64 KiB} receive buffers; each data message takes one until the
 * application has read all its bytes. Every header tells the peer how many buffers are
 * posted and which message was received last, so the sender's credits are
 * {@code bufs - (MSeq - MSeqAck)}: it sends only while it has one, and otherwise the bytes
 * wait in the send buffer, whose limit the application's writes then wait for. A receiver
 * whose application freed a quarter of its buffers since it last said so sends a
 * header-only credit update. Shutdown (or close) sends a disconnect message after the
 * data: the peer's readers see the end of the stream.
 *
 * <p>Unlike SDP, credit updates and the disconnect message need no receive buffer (the
 * receiver takes them at once), so two peers that both wait for credits can always tell
 * each other.
 */
final class SdpPcb extends IbPcb {
    /** The largest message, header included: a 64 KiB receive buffer. */
    static final int MESSAGE = 64 * 1024;
    static final int PAYLOAD = MESSAGE - Bsdh.LENGTH;

    private final Bsdh hdr = new Bsdh();
    // guarded by qp
    private int nbufs = 1;
    private int posted = 1;
    private int remoteBufs;
    private int remoteAck;
    private int txSeq;
    private int rxSeq;
    private int advBufs;
    private int advAck;
    /** Offset in the send buffer of the first byte not yet in a message. */
    private int unsent;
    /** Payload bytes of each posted message, in posting order (0 for header-only ones). */
    private final ArrayDeque<Integer> inflight = new ArrayDeque<>();
    /** Where each received message's bytes end in the stream appended to the receive buffer. */
    private final ArrayDeque<Long> msgEnds = new ArrayDeque<>();
    private long appended;
    private boolean disconnectSent;

    SdpPcb(IbProtocol proto, ProtoSocket so) {
        super(proto, so);
    }

    @Override
    int cmMaxMessage() {
        nbufs = Math.max(1, Math.min(0xffff, so.rcv().hiwat() / MESSAGE));
        posted = nbufs;
        advBufs = nbufs;
        return nbufs;
    }

    @Override
    void peerLimit(int value) {
        if (txSeq == 0 && remoteAck == 0) {
            remoteBufs = value;
        }
    }

    private int credits() {
        return remoteBufs - (txSeq - remoteAck);
    }

    @Override
    public void send(Packet data, SockAddr to, int flags) throws SocketException {
        synchronized (qp) {
            if (st != St.ESTABLISHED) {
                throw notSending();
            }
            so.snd().appendStream(data);
            output();
        }
    }

    @Override
    public void shutdown() {
        synchronized (qp) {
            output();
        }
    }

    @Override
    public void rcvd(int flags) {
        synchronized (qp) {
            long consumed = appended - so.rcv().cc();
            while (!msgEnds.isEmpty() && msgEnds.peekFirst() <= consumed) {
                msgEnds.pollFirst();
                posted++;
            }
            maybeUpdate();
        }
    }

    @Override
    void established() {
        output();
    }

    @Override
    void beginClose() {
        output();
    }

    @Override
    boolean drained() {
        return disconnectSent && qp.sendIdle();
    }

    /** Sends what the credits allow, then the disconnect once the stream is shut and all of it went (QP lock held). */
    private void output() {
        if (st != St.ESTABLISHED && st != St.CLOSING) {
            return;
        }
        SockBuf snd = so.snd();
        int cc = snd.cc();
        while (unsent < cc && credits() > 0) {
            int n = Math.min(PAYLOAD, cc - unsent);
            byte[] m = new byte[Bsdh.LENGTH + n];
            snd.copyOut(unsent, m, Bsdh.LENGTH, n);
            unsent += n;
            txSeq++;
            post(m, Bsdh.MID_DATA, 0, n);
        }
        if (!disconnectSent && unsent == cc && (snd.cantMore() || st == St.CLOSING)) {
            disconnectSent = true;
            post(new byte[Bsdh.LENGTH], Bsdh.MID_DISCONNECT, 0, 0);
        }
    }

    /** A credit update when the application freed a quarter of the buffers since the peer last heard (QP lock held). */
    private void maybeUpdate() {
        if (st != St.ESTABLISHED && st != St.CLOSING) {
            return;
        }
        int peerView = advBufs - (rxSeq - advAck);
        if (posted - peerView >= Math.max(1, nbufs / 4)) {
            post(new byte[Bsdh.LENGTH], Bsdh.MID_DATA, Bsdh.FLAG_UPDATE, 0);
        }
    }

    private void post(byte[] m, int mid, int flags, int payload) {
        hdr.wrap(m, 0).write(mid, flags, posted, m.length, txSeq, rxSeq);
        advBufs = posted;
        advAck = rxSeq;
        inflight.add(payload);
        qp.postSend(++wrIds, m, 0, m.length, 0, false);
    }

    @Override
    boolean sent(WorkCompletion wc) {
        Integer n = inflight.poll();
        if (n == null || n == 0) {
            return false;
        }
        so.snd().drop(n);
        unsent -= n;
        return true;
    }

    @Override
    boolean received(byte[] msg) {
        if (!Bsdh.valid(msg, msg.length)) {
            proto.badMessages.increment();
            return false;
        }
        hdr.wrap(msg, 0);
        remoteBufs = hdr.bufs();
        remoteAck = hdr.mseqAck();
        boolean wake = false;
        if (hdr.mid() == Bsdh.MID_DISCONNECT) {
            so.socantrcvmore();
        } else if ((hdr.flags() & Bsdh.FLAG_UPDATE) == 0) {
            rxSeq = hdr.mseq();
            int n = msg.length - Bsdh.LENGTH;
            SockBuf rcv = so.rcv();
            if (n > 0 && !rcv.cantMore()) {
                posted--;
                rcv.appendStream(Packet.wrap(msg, Bsdh.LENGTH, n));
                appended += n;
                msgEnds.add(appended);
                wake = true;
            }
        }
        output();
        maybeUpdate();
        return wake;
    }

    // ---- RecvQueue: a data message needs a free buffer; headers alone are taken at once ----

    @Override
    public boolean posted() {
        return true;
    }

    @Override
    public boolean fits(int len) {
        return len <= Bsdh.LENGTH || posted > 0 || so.rcv().cantMore();
    }
}
