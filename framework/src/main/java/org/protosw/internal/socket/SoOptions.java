package org.protosw.internal.socket;

import org.protosw.socket.Errno;
import org.protosw.socket.SockOpt;
import org.protosw.socket.SocketException;

/**
 * The SOL_SOCKET options the core keeps ({@code sosetopt}/{@code sogetopt}). Other levels
 * go to the protocol. As BSD does, a set of SO_KEEPALIVE or SO_LINGER is also shown to the
 * protocol's {@code setOption} (so TCP can arm or stop its keepalive timer at once), and
 * whatever it answers is ignored: the socket-level value is already set.
 */
final class SoOptions {
    private SoOptions() {
    }

    static <T> void set(SocketImpl s, SockOpt<T> opt, T value) throws SocketException {
        ProtoSocketImpl so = s.so;
        int name = opt.name();
        if (name == SockOpt.SO_REUSEADDR.name() || name == SockOpt.SO_KEEPALIVE.name()
                || name == SockOpt.SO_DONTROUTE.name() || name == SockOpt.SO_BROADCAST.name()
                || name == SockOpt.SO_REUSEPORT.name()) {
            boolean on = bool(opt, value);
            so.lock.lock();
            try {
                so.options = on ? so.options | name : so.options & ~name;
            } finally {
                so.lock.unlock();
            }
            if (name == SockOpt.SO_KEEPALIVE.name()) {
                tellProtocol(s, opt, value);
            }
        } else if (name == SockOpt.SO_LINGER.name()) {
            int secs = integer(opt, value);
            if (secs < -1) {
                throw new SocketException(Errno.EINVAL, "SO_LINGER: seconds must be -1 (off) or >= 0, got " + secs);
            }
            so.linger = secs;
            tellProtocol(s, opt, value);
        } else if (name == SockOpt.SO_SNDBUF.name() || name == SockOpt.SO_RCVBUF.name()) {
            int size = integer(opt, value);
            if (size <= 0) {
                throw new SocketException(Errno.EINVAL, opt.label() + ": size must be positive, got " + size);
            }
            int max = so.layer.maxSockBuf();
            if (size > max) {
                throw new SocketException(Errno.ENOBUFS, opt.label() + ": " + size + " is above kern.ipc.maxsockbuf (" + max + ")");
            }
            (name == SockOpt.SO_SNDBUF.name() ? so.snd : so.rcv).setHiwatByUser(size);
            // more room may let a blocked writer go on, or change a poller's answer
            so.wakeAll();
        } else if (name == SockOpt.SO_SNDLOWAT.name() || name == SockOpt.SO_RCVLOWAT.name()) {
            int lowat = integer(opt, value);
            if (lowat < 1) {
                throw new SocketException(Errno.EINVAL, opt.label() + ": must be at least 1, got " + lowat);
            }
            SockBufImpl sb = name == SockOpt.SO_SNDLOWAT.name() ? so.snd : so.rcv;
            sb.setLowat(Math.min(lowat, sb.hiwat()));
            so.wakeAll();
        } else if (name == SockOpt.SO_SNDTIMEO.name() || name == SockOpt.SO_RCVTIMEO.name()) {
            int ms = integer(opt, value);
            if (ms < 0) {
                throw new SocketException(Errno.EINVAL, opt.label() + ": milliseconds must be >= 0 (0 waits forever), got " + ms);
            }
            if (name == SockOpt.SO_SNDTIMEO.name()) {
                so.sndTimeo = ms;
            } else {
                so.rcvTimeo = ms;
            }
        } else {
            throw new SocketException(Errno.ENOPROTOOPT, "setsockopt " + opt.label() + " at SOL_SOCKET");
        }
    }

    static <T> T get(SocketImpl s, SockOpt<T> opt) throws SocketException {
        ProtoSocketImpl so = s.so;
        int name = opt.name();
        Object v;
        if (name == SockOpt.SO_REUSEADDR.name() || name == SockOpt.SO_KEEPALIVE.name()
                || name == SockOpt.SO_DONTROUTE.name() || name == SockOpt.SO_BROADCAST.name()
                || name == SockOpt.SO_REUSEPORT.name()) {
            v = (so.options & name) != 0;
        } else if (name == SockOpt.SO_ACCEPTCONN.name()) {
            v = so.isListening();
        } else if (name == SockOpt.SO_LINGER.name()) {
            v = so.linger;
        } else if (name == SockOpt.SO_SNDBUF.name()) {
            v = so.snd.hiwat();
        } else if (name == SockOpt.SO_RCVBUF.name()) {
            v = so.rcv.hiwat();
        } else if (name == SockOpt.SO_SNDLOWAT.name()) {
            v = so.snd.lowat();
        } else if (name == SockOpt.SO_RCVLOWAT.name()) {
            v = so.rcv.lowat();
        } else if (name == SockOpt.SO_SNDTIMEO.name()) {
            v = so.sndTimeo;
        } else if (name == SockOpt.SO_RCVTIMEO.name()) {
            v = so.rcvTimeo;
        } else if (name == SockOpt.SO_ERROR.name()) {
            Errno e = so.error.getAndSet(null);
            v = e == null ? 0 : e.number();
        } else if (name == SockOpt.SO_TYPE.name()) {
            v = so.type;
        } else {
            throw new SocketException(Errno.ENOPROTOOPT, "getsockopt " + opt.label() + " at SOL_SOCKET");
        }
        if (!opt.type().isInstance(v)) {
            throw new SocketException(Errno.EINVAL, "getsockopt " + opt.label() + ": the value is a "
                    + v.getClass().getSimpleName() + ", not a " + opt.type().getSimpleName());
        }
        return opt.type().cast(v);
    }

    private static boolean bool(SockOpt<?> opt, Object value) throws SocketException {
        if (value instanceof Boolean b) {
            return b;
        }
        throw new SocketException(Errno.EINVAL, opt.label() + ": value must be a Boolean, got " + value);
    }

    private static int integer(SockOpt<?> opt, Object value) throws SocketException {
        if (value instanceof Integer i) {
            return i;
        }
        throw new SocketException(Errno.EINVAL, opt.label() + ": value must be an Integer, got " + value);
    }

    private static <T> void tellProtocol(SocketImpl s, SockOpt<T> opt, T value) {
        try {
            s.call(pcb -> pcb.setOption(opt, value));
        } catch (SocketException e) {
            // the protocol need not know socket-level options; BSD ignores this answer too
        } catch (RuntimeException | LinkageError e) {
            // counted and logged as any failed request; the caller's own setsockopt succeeded
            s.faults().report(org.protosw.internal.sw.ProtoFaults.Where.REQUEST, "being told " + opt.label() + "=" + value,
                    s.describe(), e);
        }
    }
}
