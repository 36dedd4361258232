package org.protosw.internal.socket;

import java.nio.ByteBuffer;

import org.protosw.internal.kern.DirectDispatch;
import org.protosw.internal.sw.ProtoDescriptor;
import org.protosw.socket.Errno;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.spi.Packet;

/**
 * {@code sosend}: the application's bytes into the protocol. A record protocol
 * ({@code PR_ATOMIC}) gets each datagram whole, copied once into a packet with header room;
 * a stream protocol gets the bytes in chunks as send-buffer space allows, and appends them
 * to its send buffer itself. No global lock is taken.
 */
final class SoSend {
    /** Largest chunk handed to a stream protocol in one {@code pru_send}. */
    static final int MAX_CHUNK = 64 * 1024;

    private SoSend() {
    }

    static int sosend(SocketImpl s, ByteBuffer src, int flags, SockAddr to, boolean forceBlocking) throws SocketException {
        int n = sosend0(s, src, flags, to, forceBlocking);
        if (n > 0) {
            s.sndBytes.add(n);
            if (!s.so.sentSinceReceive) {
                s.so.sentSinceReceive = true;
            }
        }
        return n;
    }

    private static int sosend0(SocketImpl s, ByteBuffer src, int flags, SockAddr to, boolean forceBlocking) throws SocketException {
        int slot = s.enter();
        try {
            if (src == null) {
                throw new SocketException(Errno.EINVAL, "send: no buffer");
            }
            boolean nb = !forceBlocking && s.nonBlocking(flags);
            if (s.so.has(ProtoDescriptor.PR_ATOMIC)) {
                return sendRecord(s, src, flags, to, nb);
            }
            return sendStream(s, src, flags, to, nb);
        } catch (SocketException e) {
            throw s.asAborted(e);
        } catch (RuntimeException | LinkageError e) {
            throw s.protoFailure("send", e);
        } finally {
            s.exit(slot);
        }
    }

    /**
     * One record, whole or not at all. A protocol that keeps records in its send buffer until
     * the peer has them (SOCK_SEQPACKET) makes the sender wait for room for the whole record
     * (EAGAIN when non-blocking), as {@code sosend} does with {@code sbspace}; a datagram
     * protocol that sends at once leaves the buffer empty and never waits. On a
     * SOCK_SEQPACKET socket each send is a complete record: MSG_EOR is implied, as for SCTP
     * without explicit EOR mode.
     */
    private static int sendRecord(SocketImpl s, ByteBuffer src, int flags, SockAddr to, boolean nb) throws SocketException {
        ProtoSocketImpl so = s.so;
        int len = src.remaining();
        checkWritable(s, "send (pending error)");
        if (!so.isConnectedState()) {
            if (so.has(ProtoDescriptor.PR_CONNREQUIRED)) {
                throw new SocketException(Errno.ENOTCONN, "send");
            }
            // a PR_ADDR protocol decides what a send without an address means: UDP and raw
            // IP answer EDESTADDRREQ themselves, divert(4) takes it as outbound
            if (to == null && !so.has(ProtoDescriptor.PR_ADDR)) {
                throw new SocketException(Errno.EDESTADDRREQ, "send: socket is not connected and no address was given");
            }
        }
        if (len > so.snd.hiwat()) {
            throw new SocketException(Errno.EMSGSIZE, "send: a " + len + " byte datagram exceeds SO_SNDBUF (" + so.snd.hiwat() + ")");
        }
        if (so.type == SocketConstants.SOCK_SEQPACKET) {
            flags |= SocketConstants.MSG_EOR;
        }
        SockBufImpl sb = so.snd;
        if (sb.space() >= len) {
            return handOver(s, src, flags, to, len);
        }
        int timeo = so.sndTimeo;
        boolean timed = timeo > 0;
        long deadline = SocketImpl.deadline(timeo);
        sblock(sb, nb, timed, deadline);
        try {
            sb.lock.lock();
            try {
                for (;;) {
                    s.checkAlive();
                    checkWritable(s, "send");
                    if (len > sb.hiwat()) {
                        throw new SocketException(Errno.EMSGSIZE, "send: a " + len + " byte record exceeds SO_SNDBUF (" + sb.hiwat() + ")");
                    }
                    if (sb.space() >= len) {
                        break;
                    }
                    if (nb) {
                        throw SocketException.wouldBlock("send: no room for a " + len + " byte record in the send buffer");
                    }
                    if (!sb.await(timed, deadline)) {
                        throw SocketException.wouldBlock("send: timed out (SO_SNDTIMEO)");
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SocketException(Errno.EINTR, "send interrupted");
            } finally {
                sb.lock.unlock();
            }
            // still under sblock: records of waiting senders keep their order
            return handOver(s, src, flags, to, len);
        } finally {
            sb.io.unlock();
        }
    }

    /** {@code sblock} for a send: the send buffer's I/O lock, taken as the call blocks or not. */
    private static void sblock(SockBufImpl sb, boolean nb, boolean timed, long deadline) throws SocketException {
        try {
            if (!sb.lockIo(nb, timed, deadline)) {
                throw SocketException.wouldBlock(nb ? "send: another send is in progress" : "send: timed out (SO_SNDTIMEO)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SocketException(Errno.EINTR, "send interrupted");
        }
    }

    /**
     * What refuses any send: the buffer shut for writing (EPIPE, or ECONNABORTED when an abort
     * shut it: the abort sets its flag first) or a pending error, reported once as {@code what}.
     */
    static void checkWritable(SocketImpl s, String what) throws SocketException {
        ProtoSocketImpl so = s.so;
        if (so.snd.cantMore()) {
            s.checkAlive();
            throw new SocketException(Errno.EPIPE, "send: socket is shut down for writing");
        }
        Errno err = so.error.getAndSet(null);
        if (err != null) {
            throw new SocketException(err, what);
        }
    }

    private static int handOver(SocketImpl s, ByteBuffer src, int flags, SockAddr to, int len) throws SocketException {
        Packet p = s.so.ctx.allocate(len);
        int pos = src.position();
        src.get(pos, p.array(), p.offset(), len);
        s.call(pcb -> pcb.send(p, to, flags));
        src.position(pos + len);
        return len;
    }

    private static int sendStream(SocketImpl s, ByteBuffer src, int flags, SockAddr to, boolean nb) throws SocketException {
        ProtoSocketImpl so = s.so;
        SockBufImpl sb = so.snd;
        int len = src.remaining();
        // PR_IMPLOPCL: sendto on an unconnected socket opens the connection with the data
        boolean implied = false;
        if (so.isConnectedState()) {
            if (to != null) {
                throw new SocketException(Errno.EISCONN, "sendto: a stream socket that is connected takes no address");
            }
        } else if (to != null && so.has(ProtoDescriptor.PR_IMPLOPCL)) {
            implied = true;
        }
        int timeo = so.sndTimeo;
        boolean timed = timeo > 0;
        long deadline = SocketImpl.deadline(timeo);
        sblock(sb, nb, timed, deadline);
        int sent = 0;
        SockAddr dest = implied ? to : null;
        try {
            do {
                int chunk;
                sb.lock.lock();
                try {
                    for (;;) {
                        s.checkAlive();
                        checkWritable(s, "send");
                        if (!so.isConnectedState() && !implied && so.has(ProtoDescriptor.PR_CONNREQUIRED)) {
                            throw new SocketException(Errno.ENOTCONN, "send");
                        }
                        int remaining = len - sent;
                        int space = sb.space();
                        if (remaining == 0) {
                            chunk = 0;
                            break;
                        }
                        if (space >= remaining || (space > 0 && space >= sb.lowat())) {
                            chunk = Math.min(Math.min(space, remaining), MAX_CHUNK);
                            break;
                        }
                        if (nb) {
                            if (sent > 0) {
                                return sent;
                            }
                            throw SocketException.wouldBlock("send: the send buffer is full");
                        }
                        if (!sb.await(timed, deadline)) {
                            if (sent > 0) {
                                return sent;
                            }
                            throw SocketException.wouldBlock("send: timed out (SO_SNDTIMEO)");
                        }
                    }
                } finally {
                    sb.lock.unlock();
                }
                if (chunk == 0) {
                    return 0;
                }
                Packet p = so.ctx.allocate(chunk);
                int pos = src.position();
                src.get(pos, p.array(), p.offset(), chunk);
                SockAddr d = dest;
                int f = flags;
                s.call(pcb -> pcb.send(p, d, f));
                src.position(pos + chunk);
                sent += chunk;
                // only the send buffer's I/O lock is held: the receiver takes this chunk, and
                // its ACKs free space, in this thread before the next chunk
                DirectDispatch.run();
                dest = null;
            } while (sent < len);
            return sent;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (sent > 0) {
                return sent;
            }
            throw new SocketException(Errno.EINTR, "send interrupted");
        } finally {
            sb.io.unlock();
        }
    }
}
