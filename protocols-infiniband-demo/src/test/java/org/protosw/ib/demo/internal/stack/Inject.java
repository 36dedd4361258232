package org.protosw.ib.demo.internal.stack;

import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.IPPROTO_RAW;
import static org.protosw.socket.SocketConstants.SOCK_RAW;

import java.nio.ByteBuffer;

import org.protosw.ib.demo.internal.wire.Bth;
import org.protosw.ib.demo.internal.wire.Icrc;
import org.protosw.ib.demo.internal.wire.RocePacket;
import org.protosw.internal.kern.Vnet;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/**
 * Hand-made RoCEv2 datagrams sent through a raw IP socket (IP_HDRINCL) of one vnet to
 * another's UDP port 4791: they take the whole path (ip_output, the epair, ip_input, UDP,
 * its tunnel) with an IP ID and an ICRC the test chose. Source port 50000, so the sender's
 * RoCE output hook leaves them alone.
 */
final class Inject implements AutoCloseable {
    static final int SPORT = 50000;
    private final Socket raw;
    private final InAddr src;
    private final InAddr dst;
    private int id = 0x4200;

    Inject(Vnet from, InAddr src, InAddr dst) throws SocketException {
        this.raw = from.socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
        this.src = src;
        this.dst = dst;
    }

    /** An IB packet: BTH (opcode, QP, PSN, pad for the payload), {@code ext} zero bytes of extended headers, payload, ICRC space. */
    static byte[] ib(int opcode, int destQp, int psn, int ext, int payload) {
        byte[] b = new byte[RocePacket.packetLength(ext, payload)];
        new Bth().wrap(b, 0).write(opcode, false, RocePacket.pad(payload), Bth.DEFAULT_PKEY, destQp, true, psn);
        return b;
    }

    /** Sends {@code ib} with a correct ICRC (or, when {@code badIcrc}, one with a bit flipped). */
    void send(byte[] ib, boolean badIcrc) throws SocketException {
        int len = 28 + ib.length;
        ByteBuffer b = ByteBuffer.allocate(len);
        b.put((byte) 0x45).put((byte) 0).putShort((short) len).putShort((short) id++).putShort((short) 0x4000)
                .put((byte) 64).put((byte) 17).putShort((short) 0).putInt(src.bits()).putInt(dst.bits());
        b.putShort((short) SPORT).putShort((short) 4791).putShort((short) (8 + ib.length)).putShort((short) 0);
        b.put(ib);
        byte[] a = b.array();
        if (ib.length >= RocePacket.MIN_LENGTH) {
            Icrc.fill(a, 0, ib.length);
            if (badIcrc) {
                a[len - 1] ^= 0x10;
            }
        }
        raw.sendto(ByteBuffer.wrap(a), 0, new InetSockAddr(dst, 0));
    }

    @Override
    public void close() {
        raw.close();
    }
}
