package org.protosw.ib.demo.internal.stack;

import static org.protosw.socket.SocketConstants.MSG_EOR;

import org.protosw.ib.demo.internal.verbs.WorkCompletion;
import org.protosw.socket.Errno;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SocketException;
import org.protosw.spi.Packet;
import org.protosw.spi.ProtoSocket;
import org.protosw.spi.SockBuf;

/**
 * A SOCK_SEQPACKET socket: each record is one SEND work request (an RDMA WRITE with
 * immediate above the QP's threshold), and stays in the send buffer until its completion,
 * so a sender feels the peer's pace; each receive completion is one record with MSG_EOR.
 * The receive buffer's free space is the receive queue: while a message does not fit, the
 * QP answers RNR NAK and the sender tries again after the RNR timer, as IBTA 9.7.5.2.8 has
 * it for a receive queue without a WQE. The largest message a peer may send is the receive
 * buffer's limit it had when the connection was made (EMSGSIZE above it).
 */
final class RcPcb extends IbPcb {
    // guarded by qp
    private int peerMax;

    RcPcb(IbProtocol proto, ProtoSocket so) {
        super(proto, so);
    }

    @Override
    int cmMaxMessage() {
        return so.rcv().hiwat();
    }

    @Override
    void peerLimit(int value) {
        peerMax = value;
    }

    @Override
    public void send(Packet data, SockAddr to, int flags) throws SocketException {
        int len = data.length();
        synchronized (qp) {
            if (st != St.ESTABLISHED) {
                throw notSending();
            }
            if (len > peerMax) {
                throw new SocketException(Errno.EMSGSIZE, "send: a " + len + " byte message exceeds the " + peerMax
                        + " bytes the peer's receive queue takes (its SO_RCVBUF when it connected)");
            }
            so.snd().appendRecord(data, null, MSG_EOR);
            if (!qp.postSend(++wrIds, data.array(), data.offset(), len, 0, false)) {
                so.snd().takeRecord();
                throw notSending();
            }
        }
    }

    @Override
    boolean sent(WorkCompletion wc) {
        return so.snd().takeRecord() != null;
    }

    @Override
    boolean received(byte[] msg) {
        SockBuf rcv = so.rcv();
        if (rcv.cantMore()) {
            return false;
        }
        rcv.appendRecord(Packet.wrap(msg, 0, msg.length), null, MSG_EOR);
        return true;
    }

    @Override
    boolean drained() {
        return qp.sendIdle();
    }

    // ---- RecvQueue: the receive buffer's free space is what is posted ----

    @Override
    public boolean posted() {
        SockBuf rcv = so.rcv();
        return rcv.space() > 0 || rcv.cc() == 0 || rcv.cantMore();
    }

    @Override
    public boolean fits(int len) {
        SockBuf rcv = so.rcv();
        // an empty buffer takes any message: SO_RCVBUF may have shrunk below what the peer was promised
        return len <= rcv.space() || rcv.cc() == 0 || rcv.cantMore();
    }
}
