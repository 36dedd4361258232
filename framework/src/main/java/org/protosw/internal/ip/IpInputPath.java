package org.protosw.internal.ip;

import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

import org.protosw.internal.net.NetInterface;
import org.protosw.socket.Errno;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.internal.sw.InputHold;
import org.protosw.spi.IcmpError;
import org.protosw.spi.IfNet;
import org.protosw.spi.IpInput;
import org.protosw.spi.Packet;
import org.protosw.spi.Pfil;
import org.protosw.spi.PfilHook;
import org.protosw.spi.Registration;
import org.protosw.wire.Checksum;
import org.protosw.wire.IcmpHeader;
import org.protosw.wire.Ipv4Header;
import org.protosw.wire.WireStatus;

/**
 * {@code ip_input} of one stack instance, as FreeBSD's {@code netinet/ip_input.c}: header
 * checks, the IN hooks, the "is it for us" decision ({@code ours}), reassembly, and the
 * protocol demultiplexing table ({@code ip_protox}, filled by {@code ipproto_register}),
 * with raw IP ({@code rip_input}) taking what no protocol handler took. Datagrams for other
 * hosts go to {@link IpForwardPath}.
 *
 * <p>Takes no lock: the demux table is an atomic array. Never throws: a malformed packet is
 * counted and dropped, a handler's failure counted and logged.
 */
final class IpInputPath {
    private record Handler(IpInput input, Consumer<IcmpError> ctlinput) {
    }

    private final IpLayer ip;
    private final IpReass reass;
    private final IpForwardPath forward;
    private final IpStat stat;
    private final AtomicReferenceArray<Handler> protox = new AtomicReferenceArray<>(256);
    private volatile IpLayer.RawInput raw;

    IpInputPath(IpLayer ip, IpReass reass, IpForwardPath forward) {
        this.ip = ip;
        this.reass = reass;
        this.forward = forward;
        this.stat = ip.stat;
        protox.set(SocketConstants.IPPROTO_ICMP, new Handler(ip.icmp()::input, null));
    }

    // ---------------------------------------------------------------- demultiplexing

    /**
     * {@code ipproto_register}, as {@link IpLayer#register} describes. While the number is
     * held for an upgrade, the registration (the new revision's) waits behind the held
     * packets and gets the number when the hold is released.
     */
    Registration register(int proto, IpInput input, Consumer<IcmpError> ctlinput) throws SocketException {
        if (proto < 0 || proto > 255) {
            throw new SocketException(Errno.EINVAL, "IP protocol number " + proto + " (expected 0..255)");
        }
        Handler h = new Handler(input, ctlinput);
        for (;;) {
            Handler cur = protox.get(proto);
            if (cur == null) {
                if (protox.compareAndSet(proto, null, h)) {
                    return () -> protox.compareAndSet(proto, h, null);
                }
                continue;
            }
            if (cur.input instanceof Hold hold && hold.adopt(h)) {
                return () -> {
                    hold.unadopt(h);
                    protox.compareAndSet(proto, h, null);
                };
            }
            throw new SocketException(Errno.EEXIST, "IP protocol " + proto + " already has an input handler");
        }
    }

    /**
     * Holds the packets of {@code proto} from now on (a live upgrade of its protocol): the
     * current handler no longer gets new ones. At most {@code limit} are kept.
     */
    InputHold hold(int proto, int limit) {
        Hold hold = new Hold(proto, limit);
        protox.set(proto, hold.handler);
        return hold;
    }

    /** Packets of one protocol number waiting for the protocol's next revision. */
    private final class Hold implements IpInput, InputHold {
        private record Held(Packet p, int hlen) {
        }

        final int proto;
        final int limit;
        final Handler handler = new Handler(this, null);
        private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
        // guarded by lock
        private final java.util.ArrayDeque<Held> queue = new java.util.ArrayDeque<>();
        private Handler successor;
        private boolean released;
        private final java.util.concurrent.atomic.LongAdder held = new java.util.concurrent.atomic.LongAdder();
        private final java.util.concurrent.atomic.LongAdder overflow = new java.util.concurrent.atomic.LongAdder();

        Hold(int proto, int limit) {
            this.proto = proto;
            this.limit = Math.max(0, limit);
        }

        @Override
        public int proto() {
            return proto;
        }

        @Override
        public void input(Packet p, int hlen) {
            Handler s;
            lock.lock();
            try {
                if (!released) {
                    if (queue.size() >= limit) {
                        overflow.increment();
                        stat.upgradeHoldDrops.increment();
                    } else {
                        queue.add(new Held(p, hlen));
                        held.increment();
                    }
                    return;
                }
                s = successor;
            } finally {
                lock.unlock();
            }
            // looked up the hold just before it handed the number over: queue empty, deliver
            if (s != null) {
                s.input.input(p, hlen);
            } else {
                stat.upgradeHoldDrops.increment();
            }
        }

        boolean adopt(Handler h) {
            lock.lock();
            try {
                if (released || successor != null) {
                    return false;
                }
                successor = h;
                return true;
            } finally {
                lock.unlock();
            }
        }

        void unadopt(Handler h) {
            lock.lock();
            try {
                if (successor == h) {
                    successor = null;
                }
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void release() {
            org.protosw.internal.kern.DirectDispatch.enter();
            try {
                for (;;) {
                    Held x;
                    Handler s;
                    lock.lock();
                    try {
                        x = queue.poll();
                        s = successor;
                        if (x == null) {
                            // in order: only once every held packet was delivered does the
                            // new input take packets directly
                            released = true;
                            protox.compareAndSet(proto, handler, s);
                            return;
                        }
                    } finally {
                        lock.unlock();
                    }
                    if (s == null) {
                        stat.upgradeHoldDrops.increment();
                        continue;
                    }
                    try {
                        s.input.input(x.p(), x.hlen());
                    } catch (RuntimeException e) {
                        ip.internalError(e);
                    }
                }
            } finally {
                org.protosw.internal.kern.DirectDispatch.exit();
            }
        }

        @Override
        public long discard() {
            lock.lock();
            try {
                long n = queue.size();
                queue.clear();
                released = true;
                successor = null;
                protox.compareAndSet(proto, handler, null);
                stat.upgradeHoldDrops.add(n);
                return n;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public long held() {
            return held.sum();
        }

        @Override
        public long overflowed() {
            return overflow.sum();
        }
    }

    void setRawInput(IpLayer.RawInput raw) {
        this.raw = raw;
    }

    IpLayer.RawInput rawInput() {
        return raw;
    }

    /** Offers a packet to raw input; true when a raw socket took it. */
    boolean rawInput(Packet p, int hlen) {
        IpLayer.RawInput r = raw;
        if (r == null) {
            return false;
        }
        try {
            return r.input(p, hlen);
        } catch (RuntimeException e) {
            ip.internalError(e);
            return true;
        }
    }

    /** {@code pr_ctlinput} dispatch: an ICMP error quoting a packet of {@code proto}. */
    void ctlinput(int proto, IcmpError err) {
        Handler h = protox.get(proto);
        if (h == null || h.ctlinput == null) {
            return;
        }
        try {
            h.ctlinput.accept(err);
        } catch (RuntimeException e) {
            ip.internalError(e);
        }
    }

    // ---------------------------------------------------------------- input

    /** {@code ip_input}: validates, runs the IN hooks, then delivers, reassembles or forwards. */
    void input(NetInterface ifp, Packet p) {
        stat.total.increment();
        if (p.rcvif() == null) {
            p.setRcvif(ifp);
        }
        int len = p.length();
        if (len < Ipv4Header.MIN_LENGTH) {
            stat.tooSmall.increment();
            return;
        }
        int vhl = p.get8(Ipv4Header.OFF_VHL);
        if (vhl >>> 4 != 4) {
            stat.badVers.increment();
            return;
        }
        int hlen = (vhl & 0xf) << 2;
        if (hlen < Ipv4Header.MIN_LENGTH || hlen > len) {
            stat.badHlen.increment();
            return;
        }
        int src = p.get32(Ipv4Header.OFF_SRC);
        int dst = p.get32(Ipv4Header.OFF_DST);
        if (!ifp.isLoopback() && (IpLayer.isLoopbackNet(src) || IpLayer.isLoopbackNet(dst))) {
            // 127/8 never comes from a wire (RFC 1122 3.2.1.3)
            stat.badAddr.increment();
            return;
        }
        if ((p.flags() & Packet.M_CSUM_OK) == 0 && !Checksum.verify(p.array(), p.offset(), hlen)) {
            stat.badSum.increment();
            return;
        }
        int total = p.get16(Ipv4Header.OFF_TOTAL_LENGTH);
        if (total < hlen) {
            stat.badLen.increment();
            return;
        }
        if (total > len) {
            stat.tooShort.increment();
            return;
        }
        if (total < len) {
            p.setLength(total);
        }
        if (IpLayer.isMulticast(src) || src == IpLayer.LIMITED_BROADCAST) {
            stat.badAddr.increment();
            return;
        }
        if (hlen > Ipv4Header.MIN_LENGTH) {
            int bad = Ipv4Header.badOptionOffset(p.array(), p.offset(), hlen);
            if (bad >= 0) {
                stat.badOptions.increment();
                ip.icmp().error(p, IcmpHeader.PARAMPROB, IcmpHeader.PARAMPROB_ERRATPTR, bad);
                return;
            }
        }
        PfilHead pfil = ip.pfil();
        if (!pfil.isEmpty(Pfil.IN) && pfil.run(p, Pfil.IN, ifp) != PfilHook.PASS) {
            return;
        }
        ours(p, ifp);
    }

    /**
     * After the IN hooks (also for packets reinjected inbound): local delivery or
     * forwarding. The hooks may have rewritten the packet, so it is checked again.
     */
    void ours(Packet p, IfNet ifp) {
        WireStatus st = Ipv4Header.check(p.array(), p.offset(), p.length());
        if (st != WireStatus.OK) {
            countBad(st);
            return;
        }
        int total = p.get16(Ipv4Header.OFF_TOTAL_LENGTH);
        if (total < p.length()) {
            p.setLength(total);
        }
        int hlen = (p.get8(Ipv4Header.OFF_VHL) & 0xf) << 2;
        int dst = p.get32(Ipv4Header.OFF_DST);
        boolean bcast = false;
        if (ip.isLocalAddress(dst)) {
            // weak host model: any address of any interface
        } else if (dst == IpLayer.LIMITED_BROADCAST || dst == 0 || ip.isBroadcast(dst)) {
            bcast = true;
        } else if (ifp.isLoopback() && IpLayer.isLoopbackNet(dst)) {
            // all of 127/8 is this host when it arrives on loopback
        } else if (IpLayer.isMulticast(dst)) {
            stat.notMember.increment();
            return;
        } else {
            forward.forward(p);
            return;
        }
        if (bcast) {
            p.addFlags(Packet.M_BCAST);
        }
        if ((p.get16(Ipv4Header.OFF_FRAG) & (Ipv4Header.FLAG_MF | Ipv4Header.OFFMASK)) != 0) {
            Packet whole = reass.input(p, hlen);
            if (whole == null) {
                return;
            }
            p = whole;
            hlen = (p.get8(Ipv4Header.OFF_VHL) & 0xf) << 2;
        }
        deliver(p, hlen, bcast);
    }

    private void deliver(Packet p, int hlen, boolean bcast) {
        int proto = p.get8(Ipv4Header.OFF_PROTOCOL);
        stat.delivered.increment();
        Handler h = protox.get(proto);
        if (h != null) {
            try {
                h.input.input(p, hlen);
            } catch (RuntimeException e) {
                ip.internalError(e);
            }
            return;
        }
        if (rawInput(p, hlen)) {
            return;
        }
        stat.delivered.decrement();
        stat.noProto.increment();
        if (!bcast) {
            ip.icmp().error(p, IcmpHeader.UNREACH, IcmpHeader.UNREACH_PROTOCOL, 0);
        }
    }

    private void countBad(WireStatus st) {
        switch (st) {
            case TRUNCATED -> stat.tooShort.increment();
            case BAD_VERSION -> stat.badVers.increment();
            case BAD_HLEN -> stat.badHlen.increment();
            case BAD_TOTAL_LENGTH -> stat.badLen.increment();
            default -> stat.badHlen.increment();
        }
    }
}
