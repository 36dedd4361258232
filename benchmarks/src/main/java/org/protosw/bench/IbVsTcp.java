package org.protosw.bench;

import static org.protosw.socket.SocketConstants.AF_IB;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_SEQPACKET;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockAddr;
import org.protosw.socket.Socket;

/**
 * The InfiniBand demo beside TCP on the same epair between two vnets of one protosw stack:
 * {@code ib-rc-rate} sends 64-byte SOCK_SEQPACKET messages (one RC SEND each) and counts the
 * messages received per second; {@code ib-sdp-bulk} writes 64 KiB at a time into the
 * SOCK_STREAM (SDP-like) socket and measures Gbit/s at the receiver. The protosw side runs
 * the IB case, then the same load over TCP across the same epair (64-byte writes counted as
 * messages, or 64 KiB writes), and the detail line gives TCP's figure and the ratio IB / TCP.
 * The kernel column is Linux's TCP over 127.0.0.1 through NIO with the same load: the host has
 * no RoCE device here, so the nearest kernel reference is its reliable stream carrying the
 * same bytes.
 */
final class IbVsTcp implements BenchCase {
    private static final int MESSAGE = 64;
    private static final int WRITE = 64 * 1024;
    private static final double GBIT = 8 / 1e9;
    private static final int PORT = 5201;
    private static final long SID = 0x4242;

    private final boolean stream;
    private double tcp = Double.NaN;
    private double ib = Double.NaN;

    IbVsTcp(boolean stream) {
        this.stream = stream;
    }

    @Override
    public String unit() {
        return stream ? "Gbit/s received (64 KiB writes; protosw: ib-sdp across an epair; kernel: TCP on 127.0.0.1)"
                : "messages/s received (64 B; protosw: ib-rc SEQPACKET across an epair; kernel: TCP on 127.0.0.1)";
    }

    @Override
    public String detail() {
        if (Double.isNaN(tcp)) {
            return null;
        }
        String f = stream ? "%.2f Gbit/s" : "%,.0f messages/s";
        return String.format(Locale.ROOT, "TCP on the same epair: " + f + " (IB / TCP %.2fx); the kernel column is Linux TCP over"
                + " 127.0.0.1 via NIO with the same %s", tcp, ib / tcp, stream ? "64 KiB writes" : "64-byte writes, counted as messages");
    }

    @Override
    public double protosw(double seconds, PrintStream progress) throws Exception {
        try (IbEpair e = new IbEpair()) {
            progress.printf(Locale.ROOT, "  %s across the epair%n", stream ? "ib-sdp (SOCK_STREAM)" : "ib-rc (SOCK_SEQPACKET)");
            Socket l = e.b.socket(AF_IB, stream ? SOCK_STREAM : SOCK_SEQPACKET, 0);
            l.bind(IbEpair.ibAny(SID));
            ib = run(seconds, progress, l, () -> connect(e.a.socket(AF_IB, stream ? SOCK_STREAM : SOCK_SEQPACKET, 0), IbEpair.ibB(SID)));
            progress.printf(Locale.ROOT, "  TCP across the same epair%n");
            Socket tl = e.b.socket(AF_INET, SOCK_STREAM, 0);
            tl.bind(new InetSockAddr(IbEpair.B, PORT));
            tcp = run(seconds, progress, tl, () -> connect(e.a.socket(AF_INET, SOCK_STREAM, 0), new InetSockAddr(IbEpair.B, PORT)));
            return ib;
        }
    }

    private interface Dial {
        Socket open() throws Exception;
    }

    private static Socket connect(Socket s, SockAddr to) throws Exception {
        s.connect(to);
        return s;
    }

    /** One connection from a to the listener {@code l} in b, loaded for {@code seconds}; the figure. */
    private double run(double seconds, PrintStream progress, Socket l, Dial dial) throws Exception {
        l.listen(1);
        Socket c = dial.open();
        Socket s = l.accept();
        l.close();
        boolean records = !stream && s.domain() == AF_IB;
        Workers w = new Workers();
        AtomicLong count = new AtomicLong();
        w.start("bench-ib-rx", () -> {
            ByteBuffer b = ByteBuffer.allocate(WRITE);
            while (true) {
                b.clear();
                int n = s.recv(b);
                if (n <= 0) {
                    return;
                }
                // a SEQPACKET receive is one message; on TCP the 64-byte writes are counted by bytes
                count.addAndGet(records ? 1 : n);
            }
        });
        w.start("bench-ib-tx", () -> {
            ByteBuffer b = ByteBuffer.allocate(stream ? WRITE : MESSAGE);
            while (w.running()) {
                b.clear();
                while (b.hasRemaining()) {
                    c.send(b);
                }
            }
        });
        double r;
        if (stream) {
            r = w.measure(seconds, progress, count::get, GBIT, "%,.2f Gbit/s received");
        } else if (records) {
            r = w.measure(seconds, progress, count::get, 1, "%,.0f messages/s received");
        } else {
            r = w.measure(seconds, progress, count::get, 1.0 / MESSAGE, "%,.0f messages/s received");
        }
        w.stop(() -> {
            c.close();
            s.close();
        });
        return r;
    }

    @Override
    public double kernel(double seconds, PrintStream progress) throws Exception {
        try (TcpPair.Kernel p = TcpPair.kernel(false, 0)) {
            Workers w = new Workers();
            AtomicLong received = new AtomicLong();
            w.start("bench-ib-ref-rx-kernel", () -> {
                ByteBuffer b = ByteBuffer.allocateDirect(WRITE);
                while (true) {
                    b.clear();
                    int n = p.server().read(b);
                    if (n < 0) {
                        return;
                    }
                    received.addAndGet(n);
                }
            });
            w.start("bench-ib-ref-tx-kernel", () -> {
                ByteBuffer b = ByteBuffer.allocateDirect(stream ? WRITE : MESSAGE);
                while (w.running()) {
                    b.clear();
                    while (b.hasRemaining()) {
                        p.client().write(b);
                    }
                }
            });
            double r = stream ? w.measure(seconds, progress, received::get, GBIT, "%,.2f Gbit/s received")
                    : w.measure(seconds, progress, received::get, 1.0 / MESSAGE, "%,.0f messages/s received");
            w.stop(p::close);
            return r;
        }
    }
}
