package org.protosw.internal.net;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

import org.protosw.internal.kern.PacketPool;
import org.protosw.socket.Errno;
import org.protosw.socket.SocketException;
import org.protosw.spi.IfNet;
import org.protosw.spi.Packet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Linux TUN device ({@code /dev/net/tun}, {@code IFF_TUN | IFF_NO_PI}) as an interface of
 * the stack: every write is one IPv4 packet handed to the host kernel, every read one packet
 * the kernel routed to the device. The host kernel and its programs are then real peers.
 *
 * <p>Threads: one reader per device, a platform thread that polls the device and an eventfd;
 * {@link #destroy} signals the eventfd, joins the reader and only then closes the device, so
 * no thread is ever left in {@code read} and no descriptor stays open. Transmit runs on the
 * caller's thread under this device's own small lock, which guards the native transmit
 * buffer and keeps a write from racing the close (a closed descriptor number may be reused).
 *
 * <p>Input checks: shorter than an IPv4 header, or a total length that is not the read
 * length, counts in ierrors. Anything that is not IPv4 is dropped and counted in iqdrops,
 * not ierrors: the host routinely sends IPv6 (router solicitations, MLD) to any interface
 * that comes up, which is no fault of the link.
 */
public final class Tun extends NetInterface {
    private static final Logger LOG = LoggerFactory.getLogger(Tun.class);
    public static final String DEVICE = "/dev/net/tun";
    public static final int DEFAULT_MTU = 1500;
    public static final int FLAGS = IfNet.IFF_POINTOPOINT | IfNet.IFF_MULTICAST | IfNet.IFF_UP | IfNet.IFF_RUNNING;
    /** How long the reader sleeps in poll at most: a safety net, the eventfd wakes it at once. */
    private static final int POLL_MS = 1000;
    private static final long JOIN_MS = 5000;
    private static final int IP_MIN = 20;

    private final String devName;
    private final Arena arena = Arena.ofShared();
    private final int fd;
    private final int wakeFd;
    private final MemorySegment txBuf;
    private final MemorySegment txState;
    private final ReentrantLock txLock = new ReentrantLock();
    private final AtomicBoolean destroyed = new AtomicBoolean();
    private final Thread reader;
    private volatile boolean closing;

    private Tun(String name, int mtu, int fd, int wakeFd) {
        super(name, mtu, FLAGS);
        this.devName = name;
        this.fd = fd;
        this.wakeFd = wakeFd;
        this.txBuf = arena.allocate(MAX_MTU);
        this.txState = Libc.callState(arena);
        this.reader = Thread.ofPlatform().daemon().name("tun-" + name).unstarted(this::readLoop);
    }

    /**
     * Opens (or creates) the TUN device {@code name} in the calling thread's network
     * namespace and starts its reader. Failures carry one line saying why: no tun module,
     * no CAP_NET_ADMIN, name in use.
     */
    public static Tun open(String name, int mtu) throws SocketException {
        byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
        if (name.isEmpty() || nameBytes.length >= Libc.IFNAMSIZ || name.contains("/") || name.contains(" ")) {
            throw new SocketException(Errno.EINVAL, "tun name '" + name + "' is not a Linux interface name (1 to 15 characters, no '/' or space)");
        }
        if (mtu < MIN_MTU || mtu > MAX_MTU) {
            throw new SocketException(Errno.EINVAL, name + ": mtu " + mtu + " out of range (accepted: " + MIN_MTU + " to " + MAX_MTU + ")");
        }
        int fd = -1;
        int wake = -1;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Libc.callState(a);
            fd = Libc.open(st, a.allocateFrom(DEVICE), Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
            if (fd < 0) {
                int e = Libc.errno(st);
                throw new SocketException(Libc.toErrno(e), name + ": cannot open " + DEVICE + ": " + openReason(e));
            }
            MemorySegment ifr = a.allocate(Libc.IFREQ_SIZE);
            MemorySegment.copy(nameBytes, 0, ifr, ValueLayout.JAVA_BYTE, 0, nameBytes.length);
            ifr.set(ValueLayout.JAVA_SHORT, Libc.IFNAMSIZ, (short) (Libc.IFF_TUN | Libc.IFF_NO_PI));
            if (Libc.ioctl(st, fd, Libc.TUNSETIFF, ifr) < 0) {
                int e = Libc.errno(st);
                throw new SocketException(Libc.toErrno(e), name + ": cannot attach the tun device: " + setiffReason(e, name));
            }
            wake = Libc.eventfd(st, 0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
            if (wake < 0) {
                int e = Libc.errno(st);
                throw new SocketException(Libc.toErrno(e), name + ": cannot make an eventfd (errno " + e + ")");
            }
            Tun t = new Tun(name, mtu, fd, wake);
            fd = -1;
            wake = -1;
            t.reader.start();
            LOG.info("{}: tun device open", name);
            return t;
        } finally {
            closeQuietly(fd);
            closeQuietly(wake);
        }
    }

    static String openReason(int e) {
        return switch (e) {
            case Libc.ENOENT, Libc.ENODEV, Libc.ENXIO -> "no such device (the tun module is not loaded: modprobe tun)";
            case Libc.EACCES, Libc.EPERM -> "permission denied (needs root or CAP_NET_ADMIN)";
            case Libc.EMFILE, Libc.ENFILE -> "too many open files";
            default -> "errno " + e;
        };
    }

    static String setiffReason(int e, String name) {
        return switch (e) {
            case Libc.EPERM, Libc.EACCES -> "permission denied (needs root or CAP_NET_ADMIN)";
            case Libc.EBUSY -> "the name " + name + " is in use (another process holds that tun device)";
            case Libc.EINVAL -> "the name " + name + " belongs to an interface that is not a tun device";
            default -> "errno " + e;
        };
    }

    private static void closeQuietly(int fd) {
        if (fd >= 0) {
            try (Arena a = Arena.ofConfined()) {
                Libc.close(Libc.callState(a), fd);
            }
        }
    }

    /** The name of the device on the host (the same as the interface's). */
    public String deviceName() {
        return devName;
    }

    public boolean isDestroyed() {
        return destroyed.get();
    }

    private void readLoop() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Libc.callState(a);
            MemorySegment rx = a.allocate(MAX_MTU);
            MemorySegment fds = a.allocate(2L * Libc.POLLFD_SIZE);
            fds.set(ValueLayout.JAVA_INT, 0, fd);
            fds.set(ValueLayout.JAVA_SHORT, 4, Libc.POLLIN);
            fds.set(ValueLayout.JAVA_INT, Libc.POLLFD_SIZE, wakeFd);
            fds.set(ValueLayout.JAVA_SHORT, Libc.POLLFD_SIZE + 4, Libc.POLLIN);
            while (!closing) {
                fds.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
                fds.set(ValueLayout.JAVA_SHORT, Libc.POLLFD_SIZE + 6, (short) 0);
                int r = Libc.poll(st, fds, 2, POLL_MS);
                if (r < 0) {
                    if (Libc.errno(st) == Libc.EINTR) {
                        continue;
                    }
                    LOG.warn("{}: poll failed (errno {}); the device stops receiving", devName, Libc.errno(st));
                    return;
                }
                if (closing || fds.get(ValueLayout.JAVA_SHORT, Libc.POLLFD_SIZE + 6) != 0) {
                    return;
                }
                short rev = fds.get(ValueLayout.JAVA_SHORT, 6);
                if ((rev & (Libc.POLLERR | Libc.POLLHUP | Libc.POLLNVAL)) != 0) {
                    LOG.warn("{}: the device reports an error (revents 0x{}); it stops receiving", devName, Integer.toHexString(rev));
                    return;
                }
                if ((rev & Libc.POLLIN) != 0) {
                    drain(st, rx);
                }
            }
        } catch (RuntimeException | Error e) {
            LOG.error("{}: reader failed", devName, e);
        }
    }

    /** Reads what is queued (bounded, so a flood cannot starve the close check). */
    private void drain(MemorySegment st, MemorySegment rx) {
        for (int i = 0; i < 256 && !closing; i++) {
            long n = Libc.read(st, fd, rx, rx.byteSize());
            if (n < 0) {
                int e = Libc.errno(st);
                if (e != Libc.EAGAIN && e != Libc.EINTR) {
                    counters().ierrors.increment();
                }
                return;
            }
            input(rx, (int) n);
        }
    }

    private void input(MemorySegment rx, int n) {
        if (n < 1) {
            counters().ierrors.increment();
            return;
        }
        int version = (rx.get(ValueLayout.JAVA_BYTE, 0) & 0xf0) >>> 4;
        if (version != 4) {
            counters().iqdrops.increment();
            return;
        }
        if (n < IP_MIN) {
            counters().ierrors.increment();
            return;
        }
        int total = (rx.get(ValueLayout.JAVA_BYTE, 2) & 0xff) << 8 | (rx.get(ValueLayout.JAVA_BYTE, 3) & 0xff);
        int ihl = (rx.get(ValueLayout.JAVA_BYTE, 0) & 0x0f) << 2;
        if (total != n || ihl < IP_MIN || ihl > total) {
            counters().ierrors.increment();
            return;
        }
        Packet p = PacketPool.allocate(Packet.DEFAULT_HEADROOM, n);
        MemorySegment.copy(rx, ValueLayout.JAVA_BYTE, 0, p.array(), p.offset(), n);
        receive(p);
    }

    @Override
    protected void transmit(Packet p, int nextHop) {
        int n = p.length();
        if (n > mtu()) {
            counters().oerrors.increment();
            return;
        }
        txLock.lock();
        try {
            if (closing) {
                counters().oerrors.increment();
                return;
            }
            MemorySegment.copy(p.array(), p.offset(), txBuf, ValueLayout.JAVA_BYTE, 0, n);
            long w = Libc.write(txState, fd, txBuf, n);
            if (w != n) {
                if (w < 0 && (Libc.errno(txState) == Libc.EAGAIN || Libc.errno(txState) == Libc.ENOBUFS)) {
                    counters().oqdrops.increment();
                } else {
                    counters().oerrors.increment();
                }
            }
        } finally {
            txLock.unlock();
        }
    }

    /** Stops the reader, then closes the device; idempotent, deterministic. */
    @Override
    public void destroy() {
        if (!destroyed.compareAndSet(false, true)) {
            return;
        }
        super.destroy();
        closing = true;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment one = a.allocate(ValueLayout.JAVA_LONG);
            one.set(ValueLayout.JAVA_LONG, 0, 1L);
            Libc.write(Libc.callState(a), wakeFd, one, 8);
        }
        if (Thread.currentThread() != reader) {
            try {
                reader.join(JOIN_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                // the join is cut short, but the reader leaves at its next poll: wait for it uninterrupted
                joinUninterruptibly();
            }
            if (reader.isAlive()) {
                LOG.warn("{}: reader did not stop in {} ms; leaving the descriptors open", devName, JOIN_MS);
                return;
            }
        }
        txLock.lock();
        try {
            closeQuietly(fd);
            closeQuietly(wakeFd);
        } finally {
            txLock.unlock();
        }
        arena.close();
        LOG.info("{}: tun device closed", devName);
    }

    private void joinUninterruptibly() {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(JOIN_MS);
        while (reader.isAlive() && System.nanoTime() < deadline) {
            try {
                reader.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException ignored) {
                // keep the caller's interrupt, re-asserted below
            }
        }
        Thread.currentThread().interrupt();
    }

    @Override
    public String driverName() {
        return "tun";
    }
}
