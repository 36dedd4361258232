package org.protosw.internal.net;

import java.util.ArrayList;
import java.util.List;

import org.protosw.internal.kern.GlobalLock;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.SocketException;
import org.protosw.spi.IfAddr;

/**
 * The interfaces of one stack instance. Reads are lock-free (a copy-on-write array);
 * attach and detach take the instance's interface lock.
 */
public final class IfTable {
    private final GlobalLock lock;
    private volatile NetInterface[] ifs = new NetInterface[0];
    private volatile NetInterface loopback;
    private int nextIndex = 1;

    public IfTable(String vnetName) {
        this.lock = new GlobalLock("ifnet[" + vnetName + "]");
    }

    /** Adds an interface and gives it the next index; EEXIST when the name is taken. */
    public void attach(NetInterface ifp) throws SocketException {
        lock.lock();
        try {
            if (byName(ifp.name()) != null) {
                throw new SocketException(Errno.EEXIST, "interface " + ifp.name() + " already exists");
            }
            ifp.setIndex(nextIndex++);
            NetInterface[] cur = ifs;
            NetInterface[] next = new NetInterface[cur.length + 1];
            System.arraycopy(cur, 0, next, 0, cur.length);
            next[cur.length] = ifp;
            ifs = next;
            if (ifp.isLoopback() && loopback == null) {
                loopback = ifp;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Removes an interface (the caller destroys it); false when it was not here. */
    public boolean detach(NetInterface ifp) {
        lock.lock();
        try {
            List<NetInterface> l = new ArrayList<>(List.of(ifs));
            boolean removed = l.remove(ifp);
            ifs = l.toArray(new NetInterface[0]);
            if (loopback == ifp) {
                loopback = null;
            }
            return removed;
        } finally {
            lock.unlock();
        }
    }

    /** Lock-free snapshot, in index order. */
    public List<NetInterface> list() {
        return List.of(ifs);
    }

    public NetInterface byName(String name) {
        for (NetInterface ifp : ifs) {
            if (ifp.name().equals(name)) {
                return ifp;
            }
        }
        return null;
    }

    public NetInterface byIndex(int index) {
        for (NetInterface ifp : ifs) {
            if (ifp.index() == index) {
                return ifp;
            }
        }
        return null;
    }

    /** The loopback interface (lo0), or null before it exists. */
    public NetInterface loopback() {
        return loopback;
    }

    /** The interface holding this address, or null. Lock-free. */
    public NetInterface byAddress(int addr) {
        return find(addr, false);
    }

    /** The interface whose subnet broadcast address this is, or null. Lock-free. */
    public NetInterface byBroadcast(int addr) {
        return find(addr, true);
    }

    /** Indexed loops: both run for every packet received, and an iterator is garbage. */
    private NetInterface find(int addr, boolean broadcast) {
        for (NetInterface ifp : ifs) {
            List<IfAddr> l = ifp.addresses();
            for (int i = 0; i < l.size(); i++) {
                InAddr a = broadcast ? l.get(i).broadcast() : l.get(i).addr();
                if (a != null && a.bits() == addr) {
                    return ifp;
                }
            }
        }
        return null;
    }

    /** The lock guarding interface and address changes of this instance. */
    public GlobalLock lock() {
        return lock;
    }
}
