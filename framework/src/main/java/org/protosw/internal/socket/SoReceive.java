package org.protosw.internal.socket;

import java.nio.ByteBuffer;

import org.protosw.internal.sw.ProtoDescriptor;
import org.protosw.socket.Errno;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.spi.Packet;

/**
 * {@code soreceive}: data from the receive buffer to the application, copied once. A
 * record protocol ({@code PR_ATOMIC}) yields one datagram per call (the excess is cut off
 * and MSG_TRUNC set); a stream protocol yields bytes (honouring SO_RCVLOWAT, MSG_WAITALL
 * and MSG_PEEK) and 0 at the end of the stream.
 *
 * <p>As in BSD, queued data are delivered before a pending error, and a pending error
 * before the end of the stream. Protocols with {@code PR_WANTRCVD} hear about every take
 * ({@code pru_rcvd}) so they can open their window.
 */
final class SoReceive {
    private SoReceive() {
    }

    /** What recvfrom reports besides the count. */
    static final class Meta {
        SockAddr from;
        String ifname;
        int flags;
    }

    static int soreceive(SocketImpl s, ByteBuffer dst, int flags, Meta meta, boolean forceBlocking) throws SocketException {
        int n = soreceive0(s, dst, flags, meta, forceBlocking);
        if (n > 0 && (flags & org.protosw.socket.SocketConstants.MSG_PEEK) == 0) {
            s.rcvBytes.add(n);
            if (s.so.sentSinceReceive) {
                s.so.sentSinceReceive = false;
            }
        }
        return n;
    }

    /**
     * How long a wait for data polls first ({@code net.core.busy_read}): only on a socket that
     * has sent since it last received, which is waiting for an answer (a request/response
     * exchange, an echo). A reader that only receives (bulk) sleeps at once, as polling would
     * only split its stream into more and smaller reads, each acknowledged on its own.
     */
    private static long busyRead(SocketImpl s) {
        return s.so.sentSinceReceive ? s.layer().busyReadNs() : 0;
    }

    private static int soreceive0(SocketImpl s, ByteBuffer dst, int flags, Meta meta, boolean forceBlocking) throws SocketException {
        int slot = s.enter();
        try {
            if (dst == null) {
                throw new SocketException(Errno.EINVAL, "recv: no buffer");
            }
            boolean nb = !forceBlocking && s.nonBlocking(flags);
            if (s.so.has(ProtoDescriptor.PR_ATOMIC)) {
                return receiveRecord(s, dst, flags, meta, nb);
            }
            return receiveStream(s, dst, flags, nb);
        } catch (SocketException e) {
            throw s.asAborted(e);
        } catch (RuntimeException | LinkageError e) {
            throw s.protoFailure("recv", e);
        } finally {
            s.exit(slot);
        }
    }

    private static int receiveRecord(SocketImpl s, ByteBuffer dst, int flags, Meta meta, boolean nb) throws SocketException {
        ProtoSocketImpl so = s.so;
        SockBufImpl sb = so.rcv;
        boolean peek = (flags & SocketConstants.MSG_PEEK) != 0;
        int timeo = so.rcvTimeo;
        boolean timed = timeo > 0;
        long deadline = SocketImpl.deadline(timeo);
        int n;
        boolean seq = so.type == SocketConstants.SOCK_SEQPACKET;
        sb.lock.lock();
        try {
            // a SOCK_SEQPACKET reader waits for a whole record, unless what is queued already
            // fills its buffer or the receive buffer (SCTP's partial delivery point)
            while (sb.entries() == 0 || (seq && !peek && sb.endsOfRecord() == 0 && sb.cc() < dst.remaining()
                    && sb.cc() < sb.hiwat() && !sb.cantMore() && so.error.get() == null)) {
                s.checkAlive();
                Errno err = so.error.getAndSet(null);
                if (err != null) {
                    throw new SocketException(err, "recv");
                }
                if (sb.cantMore()) {
                    // close and abort set their flag before they shut the buffer
                    s.checkAlive();
                    return 0;
                }
                if (nb) {
                    throw SocketException.wouldBlock("recv: no datagram queued");
                }
                if (!sb.await(timed, deadline, busyRead(s))) {
                    throw SocketException.wouldBlock("recv: timed out (SO_RCVTIMEO)");
                }
            }
            s.checkAlive();
            if (so.type == SocketConstants.SOCK_SEQPACKET && !peek) {
                n = takeSeqRecord(sb, dst, meta);
            } else {
                Packet p = sb.headPacket();
                int len = p.length();
                n = Math.min(len, dst.remaining());
                dst.put(p.array(), p.offset(), n);
                if (meta != null) {
                    meta.from = sb.headFrom();
                    meta.ifname = sb.headIfname();
                    meta.flags = n < len ? SocketConstants.MSG_TRUNC : 0;
                    if (so.type == SocketConstants.SOCK_SEQPACKET && n == len) {
                        meta.flags |= sb.headFlags();
                    }
                }
                if (!peek) {
                    sb.dropRecord();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SocketException(Errno.EINTR, "recv interrupted");
        } finally {
            sb.lock.unlock();
        }
        if (!peek && so.has(ProtoDescriptor.PR_WANTRCVD)) {
            s.call(pcb -> pcb.rcvd(flags));
        }
        return n;
    }

    /**
     * One SOCK_SEQPACKET record (POSIX {@code recvmsg}): its parts are joined up to the one
     * marked MSG_EOR. What does not fit is discarded with MSG_TRUNC, parts still to come
     * included; a record whose end has not arrived yet is returned as far as it came,
     * without MSG_EOR. Lock held, at least one part queued.
     */
    private static int takeSeqRecord(SockBufImpl sb, ByteBuffer dst, Meta meta) {
        int n = 0;
        int flags = 0;
        SockAddr from = sb.headFrom();
        for (;;) {
            Packet p = sb.headPacket();
            int len = p.length();
            int k = Math.min(len, dst.remaining());
            dst.put(p.array(), p.offset(), k);
            n += k;
            if (k < len) {
                flags |= SocketConstants.MSG_TRUNC;
            }
            boolean eor = (sb.headFlags() & SocketConstants.MSG_EOR) != 0;
            sb.dropRecord();
            if (eor) {
                flags |= SocketConstants.MSG_EOR;
                break;
            }
            if (sb.entries() == 0) {
                if ((flags & SocketConstants.MSG_TRUNC) != 0) {
                    sb.skipToEndOfRecord();
                }
                break;
            }
            if (dst.remaining() == 0) {
                // the rest of this record does not fit: discard it up to its end
                flags |= SocketConstants.MSG_TRUNC;
            }
        }
        if (meta != null) {
            meta.from = from;
            meta.ifname = null;
            meta.flags = flags;
        }
        return n;
    }

    private static int receiveStream(SocketImpl s, ByteBuffer dst, int flags, boolean nb) throws SocketException {
        ProtoSocketImpl so = s.so;
        SockBufImpl sb = so.rcv;
        int want = dst.remaining();
        if (want == 0) {
            s.checkAlive();
            return 0;
        }
        boolean peek = (flags & SocketConstants.MSG_PEEK) != 0;
        boolean waitAll = (flags & SocketConstants.MSG_WAITALL) != 0 && !peek && !nb;
        boolean wantRcvd = !peek && so.has(ProtoDescriptor.PR_WANTRCVD);
        int timeo = so.rcvTimeo;
        boolean timed = timeo > 0;
        long deadline = SocketImpl.deadline(timeo);
        try {
            if (!sb.lockIo(nb, timed, deadline)) {
                throw SocketException.wouldBlock(nb ? "recv: another receive is in progress" : "recv: timed out (SO_RCVTIMEO)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SocketException(Errno.EINTR, "recv interrupted");
        }
        int total = 0;
        try {
            for (;;) {
                int got;
                sb.lock.lock();
                try {
                    for (;;) {
                        s.checkAlive();
                        int cc = sb.cc();
                        int target = waitAll ? 1 : Math.max(1, Math.min(sb.lowat(), want - total));
                        if (cc >= target) {
                            break;
                        }
                        Errno err = so.error.get();
                        if (err != null) {
                            if (cc > 0) {
                                break;
                            }
                            if (total > 0) {
                                return total;
                            }
                            so.error.compareAndSet(err, null);
                            throw new SocketException(err, "recv");
                        }
                        if (sb.cantMore()) {
                            if (cc > 0) {
                                break;
                            }
                            // close and abort set their flag before they shut the buffer
                            s.checkAlive();
                            return total;
                        }
                        if ((so.state & (ProtoSocketImpl.SS_ISCONNECTED | ProtoSocketImpl.SS_ISCONNECTING)) == 0
                                && so.has(ProtoDescriptor.PR_CONNREQUIRED)) {
                            if (total > 0) {
                                return total;
                            }
                            throw new SocketException(Errno.ENOTCONN, "recv");
                        }
                        if (nb) {
                            if (cc > 0) {
                                break;
                            }
                            throw SocketException.wouldBlock("recv: no data");
                        }
                        if (!sb.await(timed, deadline, busyRead(s))) {
                            if (total > 0) {
                                return total;
                            }
                            throw SocketException.wouldBlock("recv: timed out (SO_RCVTIMEO)");
                        }
                    }
                    got = sb.readStream(dst, want - total, peek);
                } finally {
                    sb.lock.unlock();
                }
                total += got;
                if (wantRcvd && got > 0) {
                    s.call(pcb -> pcb.rcvd(flags));
                }
                if (!waitAll || total >= want) {
                    return total;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (total > 0) {
                return total;
            }
            throw new SocketException(Errno.EINTR, "recv interrupted");
        } finally {
            sb.io.unlock();
        }
    }
}
