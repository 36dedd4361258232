package org.protosw.internal.socket;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.protosw.socket.SockAddr;
import org.protosw.spi.Domain;
import org.protosw.spi.ProtoContext;

/**
 * A third-party domain for tests: family 27 ("tdom"), addresses {@code tdom:PORT}, and a
 * per-vnet state (a port table) that all of its switch entries share.
 */
public final class TestDomain implements Domain {
    public static final int AF_TDOM = 27;

    /** A tdom socket address: just a port. */
    public record TAddr(int port) implements SockAddr {
        @Override
        public int family() {
            return AF_TDOM;
        }

        @Override
        public String toString() {
            return "tdom:" + port;
        }
    }

    /** The per-vnet state: the ports bound by any tdom protocol of that vnet. */
    public static final class State {
        public final String vnet;
        public final Map<Integer, Object> ports = new ConcurrentHashMap<>();
        public final AtomicInteger nextPort = new AtomicInteger(1000);
        public volatile boolean destroyed;

        State(String vnet) {
            this.vnet = vnet;
        }
    }

    public final CopyOnWriteArrayList<State> states = new CopyOnWriteArrayList<>();
    private final int family;
    private final String name;

    public TestDomain() {
        this(AF_TDOM, "tdom");
    }

    public TestDomain(int family, String name) {
        this.family = family;
        this.name = name;
    }

    @Override
    public int family() {
        return family;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Class<? extends SockAddr> addressType() {
        return TAddr.class;
    }

    @Override
    public SockAddr parseAddress(String text) {
        if (text == null || !text.startsWith("tdom:")) {
            throw new IllegalArgumentException("not a tdom address: '" + text + "' (expected tdom:PORT)");
        }
        try {
            return new TAddr(Integer.parseInt(text.substring(5)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a tdom port: '" + text.substring(5) + "' (expected tdom:PORT, PORT a number)");
        }
    }

    @Override
    public String formatAddress(SockAddr addr) {
        return addr instanceof TAddr t ? "tdom#" + t.port() : String.valueOf(addr);
    }

    @Override
    public Object init(ProtoContext ctx) {
        State s = new State(ctx.vnet());
        states.add(s);
        return s;
    }

    @Override
    public void destroy(Object state) {
        ((State) state).destroyed = true;
        states.remove(state);
    }
}
