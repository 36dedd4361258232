package org.protosw.udp.internal;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SocketException;
import org.protosw.spi.InPcb;
import org.protosw.spi.InPcbTable;
import org.protosw.spi.Route;

/** An in-memory in_pcb table following the InPcbTable contract closely enough for UDP's tests. */
final class FakePcbTable<T> implements InPcbTable<T> {
    private final FakeContext ctx;
    final List<Entry> entries = new CopyOnWriteArrayList<>();
    private int nextEphemeral = 49152;

    FakePcbTable(FakeContext ctx) {
        this.ctx = ctx;
    }

    final class Entry implements InPcb<T> {
        final T owner;
        volatile int laddr;
        volatile int lport;
        volatile int faddr;
        volatile int fport;
        volatile boolean reuseAddr;
        volatile boolean reusePort;
        /** The local address was chosen by connect, so disconnect forgets it. */
        volatile boolean laddrFromConnect;

        Entry(T owner) {
            this.owner = owner;
        }

        @Override
        public T owner() {
            return owner;
        }

        @Override
        public int laddr() {
            return laddr;
        }

        @Override
        public int lport() {
            return lport;
        }

        @Override
        public int faddr() {
            return faddr;
        }

        @Override
        public int fport() {
            return fport;
        }

        @Override
        public boolean isConnected() {
            return faddr != 0;
        }
    }

    @Override
    public InPcb<T> alloc(T owner) {
        return new Entry(owner);
    }

    private Entry entry(InPcb<T> inp) {
        @SuppressWarnings("unchecked")
        Entry e = (Entry) inp;
        return e;
    }

    @Override
    public synchronized void bind(InPcb<T> inp, InetSockAddr local, boolean reuseAddr, boolean reusePort) throws SocketException {
        Entry e = entry(inp);
        if (e.lport != 0) {
            throw new SocketException(Errno.EINVAL, "already bound");
        }
        int addr = local.addr().bits();
        if (addr != 0 && !ctx.isLocalAddress(addr) && !ctx.isBroadcast(addr) && (addr >>> 28) != 0xe) {
            throw new SocketException(Errno.EADDRNOTAVAIL, "bind " + local);
        }
        int port = local.port();
        if (port == 0) {
            do {
                port = nextEphemeral++;
            } while (inUse(addr, port, false, false));
        } else if (inUse(addr, port, reuseAddr, reusePort)) {
            throw new SocketException(Errno.EADDRINUSE, "bind " + local);
        }
        e.laddr = addr;
        e.lport = port;
        e.reuseAddr = reuseAddr;
        e.reusePort = reusePort;
        entries.add(e);
    }

    /**
     * BSD's rule: without SO_REUSEADDR/SO_REUSEPORT the wildcard and specific addresses
     * overlap; with either only the same address does, and SO_REUSEPORT on both sides
     * allows even that.
     */
    private boolean inUse(int addr, int port, boolean reuseAddr, boolean reusePort) {
        for (Entry o : entries) {
            if (o.lport != port || o.faddr != 0) {
                continue;
            }
            boolean overlap = reuseAddr || reusePort ? o.laddr == addr : o.laddr == addr || o.laddr == 0 || addr == 0;
            if (overlap && !(reusePort && o.reusePort)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public synchronized void connect(InPcb<T> inp, InetSockAddr foreign) throws SocketException {
        Entry e = entry(inp);
        int faddr = foreign.addr().bits();
        if (faddr == 0 || foreign.port() == 0) {
            throw new SocketException(Errno.EADDRNOTAVAIL, "connect " + foreign);
        }
        int laddr = e.laddr;
        boolean chosen = false;
        if (laddr == 0) {
            Route rt = ctx.routeLookup(faddr);
            if (rt == null) {
                throw new SocketException(Errno.ENETUNREACH, "connect " + foreign);
            }
            laddr = rt.ifaddr().bits();
            chosen = true;
        }
        if (e.lport == 0) {
            bind(inp, InetSockAddr.ANY, false, false);
        }
        e.laddr = laddr;
        e.laddrFromConnect = chosen;
        e.fport = foreign.port();
        e.faddr = faddr;
    }

    @Override
    public synchronized void disconnect(InPcb<T> inp) {
        Entry e = entry(inp);
        e.faddr = 0;
        e.fport = 0;
        if (e.laddrFromConnect) {
            e.laddr = 0;
            e.laddrFromConnect = false;
        }
    }

    @Override
    public synchronized void insertConnected(InPcb<T> inp, int laddr, int lport, int faddr, int fport) {
        Entry e = entry(inp);
        e.laddr = laddr;
        e.lport = lport;
        e.faddr = faddr;
        e.fport = fport;
        if (!entries.contains(e)) {
            entries.add(e);
        }
    }

    @Override
    public synchronized void remove(InPcb<T> inp) {
        entries.remove(entry(inp));
    }

    @Override
    public InPcb<T> lookup(int faddr, int fport, int laddr, int lport, boolean wildcard) {
        for (Entry e : entries) {
            if (e.lport == lport && e.laddr == laddr && e.faddr == faddr && e.fport == fport) {
                return e;
            }
        }
        if (!wildcard) {
            return null;
        }
        Entry any = null;
        for (Entry e : entries) {
            if (e.lport != lport || e.faddr != 0) {
                continue;
            }
            if (e.laddr == laddr) {
                return e;
            }
            if (e.laddr == 0 && any == null) {
                any = e;
            }
        }
        return any;
    }

    @Override
    public void forEachMatch(int faddr, int fport, int laddr, int lport, Consumer<InPcb<T>> action) {
        for (Entry e : entries) {
            if (e.lport != lport) {
                continue;
            }
            if (e.laddr != 0 && e.laddr != laddr) {
                continue;
            }
            if (e.faddr != 0 && (e.faddr != faddr || e.fport != fport)) {
                continue;
            }
            action.accept(e);
        }
    }

    @Override
    public List<InPcb<T>> list() {
        return List.copyOf(entries);
    }
}
