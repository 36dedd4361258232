package org.protosw.internal.sw;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A stack instance for registry tests: hands out {@link FakeContext}s and remembers them. */
public final class FakeVnet implements VnetHooks {
    private final String name;
    public final List<FakeContext> contexts = new CopyOnWriteArrayList<>();
    /** The socket layer in-stack sockets are made by, when the test has one. */
    public volatile org.protosw.internal.socket.SocketLayer layer;

    /** {@code net.protosw.upgrade_wait_ms} of this instance. */
    public volatile long upgradeWaitMillis = 10_000;

    @Override
    public long upgradeWaitMillis() {
        return upgradeWaitMillis;
    }

    public FakeVnet(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public ScopedContext newContext(String ownerName, org.protosw.internal.priv.Cred cred) {
        FakeContext c = new FakeContext(name, ownerName, this);
        contexts.add(c);
        return c;
    }

    /** The contexts made for one protocol. */
    public List<FakeContext> contextsOf(String owner) {
        return contexts.stream().filter(c -> c.owner.equals(owner)).toList();
    }
}
