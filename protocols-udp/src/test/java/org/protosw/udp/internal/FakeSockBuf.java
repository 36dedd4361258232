package org.protosw.udp.internal;

import java.util.ArrayList;
import java.util.List;

import org.protosw.socket.SockAddr;
import org.protosw.spi.Packet;
import org.protosw.spi.SockBuf;

/** A datagram socket buffer that keeps what was appended, with a byte limit as sbappendaddr has. */
final class FakeSockBuf implements SockBuf {
    record Datagram(byte[] data, SockAddr from, Packet packet) {
    }

    final List<Datagram> queue = new ArrayList<>();
    int hiwat;
    int cc;
    RuntimeException failure;

    FakeSockBuf(int hiwat) {
        this.hiwat = hiwat;
    }

    @Override
    public int hiwat() {
        return hiwat;
    }

    @Override
    public int cc() {
        return cc;
    }

    @Override
    public int space() {
        return Math.max(0, hiwat - cc);
    }

    @Override
    public synchronized boolean appendAddr(Packet data, SockAddr from, String ifname) {
        if (failure != null) {
            throw failure;
        }
        if (data.length() > space()) {
            return false;
        }
        queue.add(new Datagram(data.toByteArray(), from, data));
        cc += data.length();
        return true;
    }

    @Override
    public void appendStream(Packet data) {
        throw new UnsupportedOperationException("datagram buffer");
    }

    @Override
    public void copyOut(int offset, byte[] dst, int dstOff, int len) {
        throw new UnsupportedOperationException("datagram buffer");
    }

    @Override
    public void drop(int len) {
        throw new UnsupportedOperationException("datagram buffer");
    }

    @Override
    public void appendRecord(Packet data, SockAddr from, int flags) {
        throw new UnsupportedOperationException("UDP queues datagrams with appendAddr");
    }

    @Override
    public Packet takeRecord() {
        return null;
    }

    @Override
    public int records() {
        return 0;
    }

    @Override
    public boolean cantMore() {
        return false;
    }
}
