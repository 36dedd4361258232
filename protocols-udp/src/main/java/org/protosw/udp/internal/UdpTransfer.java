package org.protosw.udp.internal;

import java.util.Map;

import org.protosw.socket.Errno;
import org.protosw.socket.SocketException;
import org.protosw.spi.Pcb;
import org.protosw.spi.ProtoSocket;
import org.protosw.spi.Protocol;
import org.protosw.spi.Snapshot;

/**
 * UDP's state across a live upgrade: per pcb its addresses and IP options (the queued
 * datagrams are in the socket's receive buffer, which the core keeps), per instance its
 * counters. Format {@value #FORMAT}, version {@value #VERSION}.
 */
final class UdpTransfer {
    static final String FORMAT = "org.protosw.udp";
    static final int VERSION = 1;

    private UdpTransfer() {
    }

    static Snapshot exportPcb(Pcb pcb) {
        return new Snapshot(FORMAT, VERSION, ((UdpPcb) pcb).exportState());
    }

    static Snapshot exportProtocol(Protocol p) {
        return new Snapshot(FORMAT, VERSION, ((UdpProtocol) p).exportState());
    }

    static void importProtocol(Protocol p, Snapshot s) throws SocketException {
        check(s);
        ((UdpProtocol) p).importState(s.state());
    }

    static Pcb importPcb(Protocol p, ProtoSocket so, Snapshot s) throws SocketException {
        check(s);
        return UdpPcb.restore((UdpProtocol) p, so, s.state());
    }

    private static void check(Snapshot s) throws SocketException {
        if (!FORMAT.equals(s.format()) || s.version() != VERSION) {
            throw new SocketException(Errno.EPROTONOSUPPORT, "this UDP reads " + FORMAT + " version " + VERSION + ", not "
                    + s.format() + " version " + s.version());
        }
    }

    static int integer(Map<String, Object> m, String key) throws SocketException {
        if (m.get(key) instanceof Integer i) {
            return i;
        }
        throw new SocketException(Errno.EINVAL, "UDP snapshot: " + key + " is " + m.get(key) + ", not an integer");
    }
}
