package org.protosw.internal.socket;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.spi.Packet;
import org.protosw.spi.Pcb;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.ProtoSocket;
import org.protosw.spi.ProtoSw;
import org.protosw.spi.ProtoSwEntry;
import org.protosw.spi.Protocol;

/**
 * A connection protocol for tests, in the spirit of TCP without a wire: connect finds the
 * listener by port and pairs the two pcbs through {@code sonewconn}; bytes move from a
 * send buffer to the peer's receive buffer as far as it has room, and move on when the
 * reader takes data ({@code pru_rcvd}), so flow control is real. shutdown and close send
 * a "FIN" after the queued bytes; abort "resets" the peer. With {@link #manualHandshake}
 * connections stay embryonic until {@link #completeHandshakes()}.
 *
 * <p>One lock per protocol instance keeps the test protocol simple; the core's own paths
 * take no global lock.
 */
public final class TestStreamProto implements ProtoSw {
    public final PcbLedger ledger = new PcbLedger();
    public final List<Proto> instances = new CopyOnWriteArrayList<>();
    public volatile boolean manualHandshake;

    public static Map<String, Object> props(String name, int protocol) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(ProtoSwEntry.DOMAIN, SocketConstants.AF_INET);
        m.put(ProtoSwEntry.TYPE, SocketConstants.SOCK_STREAM);
        m.put(ProtoSwEntry.PROTOCOL, protocol);
        m.put(ProtoSwEntry.NAME, name);
        m.put(ProtoSwEntry.FLAGS, new String[] {ProtoSwEntry.PR_CONNREQUIRED, ProtoSwEntry.PR_WANTRCVD});
        return m;
    }

    @Override
    public Protocol init(ProtoContext ctx) {
        Proto p = new Proto(ctx);
        instances.add(p);
        return p;
    }

    public Proto instance(String vnet) {
        return instances.stream().filter(p -> p.ctx.vnet().equals(vnet)).reduce((a, b) -> b).orElseThrow();
    }

    /** Completes every handshake left pending by {@link #manualHandshake}. */
    public void completeHandshakes() {
        for (Proto p : instances) {
            p.complete(true);
        }
    }

    /** Fails them: the embryonic connections die, the connecting sockets get ECONNREFUSED. */
    public void failHandshakes() {
        for (Proto p : instances) {
            p.complete(false);
        }
    }

    public final class Proto implements Protocol {
        final ProtoContext ctx;
        final Map<Integer, StreamPcb> ports = new LinkedHashMap<>();
        final Map<Integer, StreamPcb> listeners = new LinkedHashMap<>();
        final List<StreamPcb> pending = new ArrayList<>();
        final AtomicInteger live = new AtomicInteger();
        final AtomicBoolean destroyed = new AtomicBoolean();
        int nextPort = 40000;

        Proto(ProtoContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Pcb attach(ProtoSocket so) {
            return newPcb(so, "stream pcb");
        }

        StreamPcb newPcb(ProtoSocket so, String name) {
            if (destroyed.get()) {
                ledger.violation("attach after destroy");
            }
            so.soreserve(8192, 8192);
            live.incrementAndGet();
            return new StreamPcb(this, so, ledger.track(name, destroyed));
        }

        synchronized void complete(boolean ok) {
            for (StreamPcb client : pending) {
                StreamPcb child = client.peer;
                if (child == null) {
                    continue;
                }
                if (ok) {
                    child.so.soisconnected();
                    client.so.soisconnected();
                } else {
                    client.peer = null;
                    child.peer = null;
                    child.so.soisdisconnected();
                    client.so.setError(Errno.ECONNREFUSED);
                    client.so.soisdisconnected();
                }
            }
            pending.clear();
        }

        @Override
        public void destroy() {
            ledger.destroys.incrementAndGet();
            if (live.get() != 0) {
                ledger.violation("destroy with " + live.get() + " pcb(s) still attached");
            }
            destroyed.set(true);
        }
    }

    public final class StreamPcb implements Pcb {
        final Proto proto;
        final ProtoSocket so;
        final PcbLedger.Track t;
        int port;
        StreamPcb peer;
        boolean listening;
        boolean connecting;
        boolean finPending;
        boolean finSent;
        boolean peerFin;
        boolean gone;

        StreamPcb(Proto proto, ProtoSocket so, PcbLedger.Track t) {
            this.proto = proto;
            this.so = so;
            this.t = t;
        }

        private void bindPort(int want) throws SocketException {
            if (port != 0) {
                throw new SocketException(Errno.EINVAL, "already bound");
            }
            int p = want;
            if (p == 0) {
                do {
                    p = proto.nextPort++;
                } while (proto.ports.containsKey(p));
            } else if (proto.ports.containsKey(p)) {
                throw new SocketException(Errno.EADDRINUSE, "port " + p);
            }
            proto.ports.put(p, this);
            port = p;
        }

        @Override
        public void bind(SockAddr addr) throws SocketException {
            t.in("bind");
            try {
                synchronized (proto) {
                    bindPort(((InetSockAddr) addr).port());
                }
            } finally {
                t.out();
            }
        }

        @Override
        public void listen(int backlog) throws SocketException {
            t.in("listen");
            try {
                synchronized (proto) {
                    if (port == 0) {
                        bindPort(0);
                    }
                    listening = true;
                    proto.listeners.put(port, this);
                }
            } finally {
                t.out();
            }
        }

        @Override
        public void connect(SockAddr addr) throws SocketException {
            t.in("connect");
            try {
                synchronized (proto) {
                    int dport = ((InetSockAddr) addr).port();
                    if (port == 0) {
                        bindPort(0);
                    }
                    so.soisconnecting();
                    StreamPcb l = proto.listeners.get(dport);
                    if (l == null) {
                        so.setError(Errno.ECONNREFUSED);
                        so.soisdisconnected();
                        return;
                    }
                    StreamPcb[] made = new StreamPcb[1];
                    ProtoSocket childSo = l.so.sonewconn(cso -> {
                        StreamPcb c = proto.newPcb(cso, "stream child");
                        c.port = l.port;
                        made[0] = c;
                        return c;
                    });
                    if (childSo == null) {
                        // listen queue overflow: the "SYN" is dropped, the caller gives up
                        so.setError(Errno.ECONNREFUSED);
                        so.soisdisconnected();
                        return;
                    }
                    StreamPcb child = made[0];
                    child.peer = this;
                    peer = child;
                    if (manualHandshake) {
                        proto.pending.add(this);
                        return;
                    }
                    child.so.soisconnected();
                    so.soisconnected();
                }
            } finally {
                t.out();
            }
        }

        @Override
        public void disconnect() {
            t.in("disconnect");
            try {
                synchronized (proto) {
                    finPending = true;
                    output();
                    so.soisdisconnecting();
                }
            } finally {
                t.out();
            }
        }

        @Override
        public void shutdown() {
            t.in("shutdown");
            try {
                synchronized (proto) {
                    finPending = true;
                    output();
                }
            } finally {
                t.out();
            }
        }

        @Override
        public void send(Packet data, SockAddr to, int flags) throws SocketException {
            t.in("send");
            try {
                synchronized (proto) {
                    if (peer == null) {
                        // the core saw a connection; it was reset meanwhile
                        throw new SocketException(Errno.EPIPE, "send: the connection is gone");
                    }
                    so.snd().appendStream(data);
                    output();
                }
            } finally {
                t.out();
            }
        }

        /** Moves what the peer has room for; sends the FIN once the send buffer is empty. Lock held. */
        void output() {
            StreamPcb p = peer;
            if (p == null) {
                return;
            }
            int n = Math.min(so.snd().cc(), p.so.rcv().space());
            if (n > 0) {
                byte[] b = new byte[n];
                so.snd().copyOut(0, b, 0, n);
                so.snd().drop(n);
                p.so.rcv().appendStream(Packet.wrap(b, 0, n));
                p.so.sorwakeup();
                so.sowwakeup();
            }
            if (finPending && !finSent && so.snd().cc() == 0) {
                finSent = true;
                p.peerFin = true;
                p.so.socantrcvmore();
                finish(this);
                finish(p);
            }
        }

        private void finish(StreamPcb pcb) {
            if (pcb.finSent && pcb.peerFin) {
                pcb.so.soisdisconnected();
            }
        }

        @Override
        public void rcvd(int flags) {
            t.in("rcvd");
            try {
                synchronized (proto) {
                    if (peer != null) {
                        peer.output();
                    }
                }
            } finally {
                t.out();
            }
        }

        @Override
        public SockAddr accept() throws SocketException {
            t.in("accept");
            try {
                synchronized (proto) {
                    if (peer == null) {
                        throw new SocketException(Errno.ECONNABORTED, "accept");
                    }
                    return new InetSockAddr(InAddr.LOOPBACK, peer.port);
                }
            } finally {
                t.out();
            }
        }

        @Override
        public SockAddr sockaddr() {
            t.in("sockaddr");
            try {
                return new InetSockAddr(InAddr.LOOPBACK, port);
            } finally {
                t.out();
            }
        }

        @Override
        public SockAddr peeraddr() throws SocketException {
            t.in("peeraddr");
            try {
                synchronized (proto) {
                    if (peer == null) {
                        throw new SocketException(Errno.ENOTCONN, "getpeername");
                    }
                    return new InetSockAddr(InAddr.LOOPBACK, peer.port);
                }
            } finally {
                t.out();
            }
        }

        @Override
        public void close() {
            t.in("close");
            try {
                t.closeOrAbort("close");
                synchronized (proto) {
                    if (listening) {
                        proto.listeners.remove(port, this);
                        listening = false;
                    }
                    if (peer != null) {
                        finPending = true;
                        output();
                        if (!finSent || !peerFin) {
                            so.soisdisconnecting();
                        }
                    }
                }
            } finally {
                t.out();
            }
        }

        @Override
        public void abort() {
            t.in("abort");
            try {
                t.closeOrAbort("abort");
                synchronized (proto) {
                    if (listening) {
                        proto.listeners.remove(port, this);
                        listening = false;
                    }
                    StreamPcb p = peer;
                    peer = null;
                    if (p != null) {
                        p.peer = null;
                        p.so.setError(Errno.ECONNRESET);
                        p.so.soisdisconnected();
                    }
                }
            } finally {
                t.out();
            }
        }

        @Override
        public void detach() {
            if (t.detach()) {
                synchronized (proto) {
                    gone = true;
                    proto.ports.remove(port, this);
                    proto.listeners.remove(port, this);
                    proto.pending.remove(this);
                }
                proto.live.decrementAndGet();
            }
        }

        @Override
        public String state() {
            t.in("state");
            try {
                synchronized (proto) {
                    if (listening) {
                        return "LISTEN";
                    }
                    if (peer == null) {
                        return "CLOSED";
                    }
                    return finSent ? "FIN_WAIT" : "ESTABLISHED";
                }
            } finally {
                t.out();
            }
        }
    }
}
