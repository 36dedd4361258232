package org.protosw.tcp.internal;

import java.nio.ByteBuffer;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.protosw.internal.net.NetInterface;
import org.protosw.spi.Packet;
import org.protosw.wire.Ipv4Header;
import org.protosw.wire.TcpHeader;

/**
 * A link whose far end is the test: what the stack sends out of it is kept (or handed to a
 * consumer as it is sent, on the sending thread), and segments the test builds enter as if
 * from a wire. The SYN cache tests use it to see SYN-ACKs and RSTs byte for byte.
 */
final class CaptureLink extends NetInterface {
    /** One IPv4 packet carrying TCP that the stack sent, and when (nanoTime). */
    record Out(byte[] b, long nanos) {
        int dst() {
            return ByteBuffer.wrap(b).getInt(12 + 4);
        }

        int sport() {
            return ByteBuffer.wrap(b).getShort(20) & 0xffff;
        }

        int dport() {
            return ByteBuffer.wrap(b).getShort(22) & 0xffff;
        }

        int seq() {
            return ByteBuffer.wrap(b).getInt(24);
        }

        int ack() {
            return ByteBuffer.wrap(b).getInt(28);
        }

        int flags() {
            return b[33] & 0xff;
        }

        int window() {
            return ByteBuffer.wrap(b).getShort(34) & 0xffff;
        }

        /** The TCP header and options as sent (the IP header, whose id changes, left out). */
        byte[] tcp() {
            return java.util.Arrays.copyOfRange(b, 20, b.length);
        }

        /** The TCP options as sent, padding included. */
        byte[] options() {
            int hlen = ((b[32] & 0xff) >>> 4) * 4;
            return java.util.Arrays.copyOfRange(b, 40, 20 + hlen);
        }

        boolean is(int flagsExactly) {
            return flags() == flagsExactly;
        }
    }

    private final LinkedBlockingQueue<Out> sent = new LinkedBlockingQueue<>();
    private volatile Consumer<Out> tap;

    CaptureLink(String name, int mtu) {
        super(name, mtu, IFF_BROADCAST | IFF_MULTICAST);
        setUp(true);
    }

    /** From now on, packets go to {@code c} (on the sending thread) instead of the queue. */
    void tap(Consumer<Out> c) {
        tap = c;
    }

    @Override
    protected void transmit(Packet p, int nextHop) {
        byte[] b = p.toByteArray();
        if (b.length < 40 || (b[9] & 0xff) != 6) {
            return;
        }
        Out o = new Out(b, System.nanoTime());
        Consumer<Out> c = tap;
        if (c != null) {
            c.accept(o);
        } else {
            sent.add(o);
        }
    }

    /** Delivers a complete IPv4 packet as received on this link (the input workers take it). */
    void inject(byte[] ipPacket) {
        receive(Packet.wrap(ipPacket, 0, ipPacket.length));
    }

    /** The next packet sent, waiting up to {@code ms}; null when none came. */
    Out next(long ms) throws InterruptedException {
        return sent.poll(ms, TimeUnit.MILLISECONDS);
    }

    /** The packet sent already, if any, without waiting. */
    Out poll() {
        return sent.poll();
    }

    int pending() {
        return sent.size();
    }

    @Override
    public String driverName() {
        return "capture";
    }

    /**
     * An IPv4 packet with a TCP segment from {@code src:sport} to {@code dst:dport}, its
     * options given as raw bytes (a multiple of 4), checksums filled in.
     */
    static byte[] segment(int src, int sport, int dst, int dport, int seq, int ack, int flags, int win, byte[] opts) {
        int tcpLen = TcpHeader.MIN_LENGTH + opts.length;
        int total = Ipv4Header.MIN_LENGTH + tcpLen;
        byte[] b = new byte[total];
        Ipv4Header.write(b, 0, 0, total, 0, Ipv4Header.FLAG_DF, 64, 6, src, dst);
        System.arraycopy(opts, 0, b, 40, opts.length);
        TcpHeader th = new TcpHeader(b, 20, tcpLen);
        th.setSrcPort(sport).setDstPort(dport).setSeq(seq).setAck(ack).setHeaderLength(tcpLen).setFlags(flags)
                .setWindow(win).setUrgentPointer(0).setChecksum(0);
        th.fillChecksum(src, dst);
        return b;
    }
}
