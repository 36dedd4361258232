package org.protosw.internal.sw;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import org.protosw.spi.ProtoSw;

/**
 * One registered protocol switch entry: its description, the bundle that serves it, its
 * state, and its per-stack-instance halves ({@link ProtoInstance}).
 */
public final class ProtoEntry {
    private final ProtoDescriptor descriptor;
    private volatile String owner;
    /** The service properties it registered with, to register it again when its domain returns. */
    private volatile Map<String, ?> properties;
    /** The last live upgrade, or null. */
    private volatile UpgradeRecord lastUpgrade;
    private volatile ProtoSw sw;
    private volatile ProtoState state = ProtoState.ACTIVE;
    private final Map<String, ProtoInstance> instances = new ConcurrentHashMap<>();
    private volatile CompletableFuture<Void> drained;
    /** Exceptions that escaped the protocol's code; kept across live upgrades of the entry. */
    private final ProtoFaults faults = new ProtoFaults(this);

    ProtoEntry(ProtoDescriptor descriptor, String owner, ProtoSw sw, Map<String, ?> properties) {
        this.descriptor = descriptor;
        this.owner = owner;
        this.sw = sw;
        this.properties = properties;
    }

    Map<String, ?> properties() {
        return properties;
    }

    public ProtoDescriptor descriptor() {
        return descriptor;
    }

    public String name() {
        return descriptor.name();
    }

    public String owner() {
        return owner;
    }

    /** What escaped the protocol's code at run time, counted and rate-limited in the log. */
    public ProtoFaults faults() {
        return faults;
    }

    public ProtoState state() {
        return state;
    }

    /** The protocol's half in that stack instance, or null (not running there, or its init failed). */
    public ProtoInstance instance(String vnet) {
        return instances.get(vnet);
    }

    /** Open sockets in all stack instances. */
    public int openSockets() {
        int n = 0;
        for (ProtoInstance pi : instances.values()) {
            n += pi.openSockets();
        }
        return n;
    }

    public long callsInFlight() {
        long n = 0;
        for (ProtoInstance pi : instances.values()) {
            n += pi.callsInFlight();
        }
        return n;
    }

    ProtoSw sw() {
        return sw;
    }

    void setState(ProtoState state) {
        this.state = state;
    }

    void putInstance(ProtoInstance pi) {
        instances.put(pi.vnet(), pi);
    }

    ProtoInstance removeInstance(String vnet) {
        return instances.remove(vnet);
    }

    List<ProtoInstance> instances() {
        return new ArrayList<>(instances.values());
    }

    /** Called by a torn-down instance: the entry forgets it. */
    void instanceGone(ProtoInstance pi) {
        instances.remove(pi.vnet(), pi);
    }

    /** The new revision serves this entry from now on (a live upgrade succeeded). */
    void revive(ProtoSw next, String nextOwner, Map<String, ?> nextProperties, UpgradeRecord record) {
        this.sw = next;
        this.owner = nextOwner;
        this.properties = nextProperties;
        this.lastUpgrade = record;
        this.state = ProtoState.ACTIVE;
    }

    /** The last live upgrade of this entry, or null. */
    public UpgradeRecord lastUpgrade() {
        return lastUpgrade;
    }

    /** Drops the reference to the bundle's service object (after unregister). */
    void forgetService() {
        sw = null;
    }

    /** Starts draining; the future completes when no socket is left. */
    CompletableFuture<Void> startDrain() {
        CompletableFuture<Void> f = drained;
        if (state != ProtoState.DRAINING || f == null) {
            f = new CompletableFuture<>();
            drained = f;
            state = ProtoState.DRAINING;
        }
        checkDrained();
        return f;
    }

    void stopDrain() {
        CompletableFuture<Void> f = drained;
        drained = null;
        if (state == ProtoState.DRAINING) {
            state = ProtoState.ACTIVE;
        }
        if (f != null) {
            f.cancel(false);
        }
    }

    /** Completes the drain future once no socket is left; cheap when not draining. */
    void checkDrained() {
        CompletableFuture<Void> f = drained;
        if (f != null && !f.isDone() && openSockets() == 0) {
            f.complete(null);
        }
    }

    /** The drain finished (or the entry was unloaded while draining). */
    void completeDrain() {
        CompletableFuture<Void> f = drained;
        if (f != null) {
            f.complete(null);
        }
    }

    boolean isDrained() {
        CompletableFuture<Void> f = drained;
        return state == ProtoState.DRAINING && f != null && f.isDone() && !f.isCancelled();
    }

    ProtoSwInfo info(List<String> uses) {
        Map<String, Integer> per = new TreeMap<>();
        int total = 0;
        long calls = 0;
        for (ProtoInstance pi : instances.values()) {
            int n = pi.openSockets();
            per.put(pi.vnet(), n);
            total += n;
            calls += pi.callsInFlight();
        }
        return new ProtoSwInfo(descriptor.domain(), descriptor.type(), descriptor.protocol(), descriptor.name(),
                descriptor.flagNames(), owner, state, isDrained(), per, total, calls, uses, lastUpgrade, faults.total(),
                faults.toString());
    }

    @Override
    public String toString() {
        return descriptor + " from " + owner + " [" + state.label() + "]";
    }
}
