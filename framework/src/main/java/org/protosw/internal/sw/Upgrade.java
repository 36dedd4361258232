package org.protosw.internal.sw;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.protosw.spi.Pcb;
import org.protosw.spi.Protocol;
import org.protosw.spi.Snapshot;
import org.protosw.spi.StateTransfer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One live upgrade of a protocol switch entry (DESIGN.md, socket lifecycle point 5), from
 * the freeze of the old revision to the import by the new one. The registry drives it: the
 * old revision's service goes away ({@link #freezeAndExport}, {@link #retireOld}), then the
 * new one registers ({@link #importInto}, {@link #resume}) or the wait ends ({@link #thaw}
 * and an abort of the sockets).
 */
final class Upgrade {
    private static final Logger LOG = LoggerFactory.getLogger(Upgrade.class);

    /** One socket's exported pcb. */
    record Moved(AttachedSocket socket, Snapshot state) {
    }

    /** The upgrade in one stack instance. */
    static final class Part {
        final ProtoInstance pi;
        final VnetHooks hooks;
        List<InputHold> holds = List.of();
        Snapshot protocolState;
        /** What to tell the peers if the upgrade fails after the export (StateTransfer.peerNotices). */
        List<org.protosw.spi.PeerNotice> notices = List.of();
        final List<Moved> pcbs = new ArrayList<>();
        // the new revision's, while importing
        ScopedContext nextCtx;
        Protocol next;
        final List<Pcb> imported = new ArrayList<>();

        Part(ProtoInstance pi, VnetHooks hooks) {
            this.pi = pi;
            this.hooks = hooks;
        }
    }

    /** Why an upgrade step failed, in words for the log and net:diag. */
    static final class Failed extends Exception {
        private static final long serialVersionUID = 1L;

        Failed(String message, Throwable cause) {
            super(message, cause);
        }

        Failed(String message) {
            super(message);
        }
    }

    final ProtoEntry entry;
    final String from;
    final Instant when = Instant.now();
    final long startNanos = System.nanoTime();
    final List<Part> parts = new ArrayList<>();
    String format;
    int version;

    Upgrade(ProtoEntry entry, List<ProtoInstance> instances, java.util.Map<String, VnetHooks> vnets) {
        this.entry = entry;
        this.from = entry.owner();
        for (ProtoInstance pi : instances) {
            parts.add(new Part(pi, vnets.get(pi.vnet())));
        }
    }

    int sockets() {
        int n = 0;
        for (Part p : parts) {
            n += p.pcbs.size();
        }
        return n;
    }

    long held() {
        long n = 0;
        for (Part p : parts) {
            for (InputHold h : p.holds) {
                n += h.held();
            }
        }
        return n;
    }

    long overflowed() {
        long n = 0;
        for (Part p : parts) {
            for (InputHold h : p.holds) {
                n += h.overflowed();
            }
        }
        return n;
    }

    Duration pause() {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    /**
     * The freeze and the export: gates closed, input held, timers paused, no thread inside
     * the protocol; then every pcb and every instance's state exported and checked. On
     * failure nothing is detached yet (the caller thaws and unloads as before).
     */
    void freezeAndExport(StateTransfer st, long deadlineNanos) throws Failed {
        String name = entry.name();
        for (Part p : parts) {
            p.pi.freezeGate();
        }
        for (Part p : parts) {
            ScopedContext ctx = p.pi.scopedContext();
            if (ctx == null) {
                continue;
            }
            int limit = p.hooks == null ? 1024 : p.hooks.upgradeHoldLimit();
            List<InputHold> holds = ctx.quiesce(limit, deadlineNanos);
            if (holds == null) {
                p.holds = ctx.holds();
                throw new Failed("a thread stayed inside " + name + "'s input or timers in vnet " + p.pi.vnet());
            }
            p.holds = holds;
        }
        for (Part p : parts) {
            if (!p.pi.awaitOutOfProtocol(deadlineNanos)) {
                throw new Failed("calls stayed inside " + name + "'s pcbs in vnet " + p.pi.vnet() + " (see the threads in the log)");
            }
        }
        try {
            format = st.snapshotFormat();
            version = st.snapshotVersion();
        } catch (RuntimeException | LinkageError e) {
            throw new Failed(name + "'s snapshotFormat/snapshotVersion failed: " + e, e);
        }
        for (Part p : parts) {
            Protocol proto = p.pi.protocol();
            for (AttachedSocket so : p.pi.remaining()) {
                if (so.pcbDetached()) {
                    // its close (or abort) detached the pcb just before the freeze and has yet to
                    // take it out of the set: nothing to move (exporting the core's placeholder
                    // failed the whole upgrade and aborted every socket, TcpUpgradeStressTest)
                    continue;
                }
                p.pcbs.add(new Moved(so, checked(() -> st.exportPcb(proto, so.pcb()), "exporting " + so.describe())));
            }
            p.protocolState = checked(() -> st.exportProtocol(proto), "exporting " + name + "'s state in vnet " + p.pi.vnet());
            p.notices = notices(st, proto, name + " in vnet " + p.pi.vnet());
        }
    }

    /**
     * The instance's notices to its peers, copied (no array of the old bundle's stays
     * shared); a revision that fails to make them is logged, and its peers learn of an abort
     * from their next segment, as without notices.
     */
    private static List<org.protosw.spi.PeerNotice> notices(StateTransfer st, Protocol proto, String what) {
        List<org.protosw.spi.PeerNotice> made;
        try {
            made = st.peerNotices(proto);
        } catch (RuntimeException | LinkageError e) {
            LOG.warn("{}: peerNotices() failed; should the upgrade fail, the peers are not told", what, e);
            return List.of();
        }
        if (made == null) {
            return List.of();
        }
        List<org.protosw.spi.PeerNotice> copy = new ArrayList<>(made.size());
        for (org.protosw.spi.PeerNotice n : made) {
            if (n != null) {
                copy.add(new org.protosw.spi.PeerNotice(n.src(), n.dst(), n.protocol(), n.segment().clone()));
            }
        }
        return copy;
    }

    /**
     * The upgrade failed after the export: each instance's notices go out through a context
     * of the core's own (the old revision is gone); returns how many were sent.
     */
    long notifyPeers() {
        long sent = 0;
        for (Part p : parts) {
            if (p.notices.isEmpty() || p.hooks == null) {
                continue;
            }
            ScopedContext ctx = p.hooks.newContext(entry.name() + " upgrade failure");
            try {
                for (org.protosw.spi.PeerNotice n : p.notices) {
                    org.protosw.spi.Packet pkt = ctx.allocate(n.segment().length);
                    System.arraycopy(n.segment(), 0, pkt.array(), pkt.offset(), n.segment().length);
                    try {
                        ctx.ipOutput(pkt, n.src(), n.dst(), n.protocol(), -1, 0, 0);
                        sent++;
                    } catch (org.protosw.socket.SocketException e) {
                        LOG.debug("{} in vnet {}: a notice to {} could not be sent: {}", entry.name(), p.pi.vnet(),
                                new org.protosw.socket.InAddr(n.dst()), e.getMessage());
                    }
                }
            } finally {
                ctx.close();
            }
            p.notices = List.of();
        }
        return sent;
    }

    @FunctionalInterface
    private interface Export {
        Snapshot run() throws Exception;
    }

    private static Snapshot checked(Export e, String what) throws Failed {
        Snapshot s;
        try {
            s = e.run();
        } catch (Exception | LinkageError ex) {
            throw new Failed(what + " failed: " + ex, ex);
        }
        try {
            return SnapshotCheck.check(s);
        } catch (SnapshotCheck.Rejected r) {
            throw new Failed(what + ": snapshot refused: " + r.getMessage());
        }
    }

    /** After a failed freeze or export: the held packets are dropped and the gates open (an unload follows). */
    void thaw() {
        for (Part p : parts) {
            for (InputHold h : p.holds) {
                h.discard();
            }
            p.pi.openGate();
        }
    }

    /**
     * The export succeeded: every old pcb gets its "exported" detach, every old instance is
     * destroyed and its context closed. From here on nothing of the old revision is reachable.
     */
    /** How long a revision's destroy() may take here (net.protosw.unload_wait_ms), set by the registry. */
    long destroyWaitMillis = ProtoSwRegistry.DEFAULT_UNLOAD_TIMEOUT.toMillis();

    /** A revision's destroy, bounded as in an unload (BoundedCall): the upgrade goes on without it. */
    private void destroy(Protocol instance, String whose, Part p) {
        String stuck = BoundedCall.run("protosw destroy (" + whose + " " + entry.name() + " in vnet " + p.pi.vnet() + ")",
                destroyWaitMillis, () -> {
                    try {
                        instance.destroy();
                    } catch (RuntimeException | LinkageError e) {
                        LOG.error("{} in vnet {}: {} destroy() failed", entry.name(), p.pi.vnet(), whose, e);
                    }
                });
        if (stuck != null) {
            LOG.error("{} in vnet {}: {} destroy() did not return within {} ms (net.protosw.unload_wait_ms); the upgrade "
                    + "goes on without it, {} stays inside", entry.name(), p.pi.vnet(), whose, destroyWaitMillis, stuck);
        }
    }

    void retireOld() {
        for (Part p : parts) {
            for (Moved m : p.pcbs) {
                m.socket().detachExported();
            }
            Protocol old = p.pi.protocol();
            ScopedContext ctx = p.pi.scopedContext();
            if (old != null) {
                destroy(old, "the old revision's", p);
            }
            if (ctx != null) {
                ctx.close();
            }
            p.pi.forgetProtocol();
        }
    }

    /**
     * The new revision's instances and pcbs, built beside the frozen sockets; nothing is
     * re-linked yet. On failure what was built is detached and destroyed again.
     *
     * @param newContext makes the new revision's context in one instance (domain state bound), or null
     */
    void importInto(org.protosw.spi.ProtoSw sw, StateTransfer st, java.util.function.Function<Part, ScopedContext> newContext)
            throws Failed {
        String name = entry.name();
        String theirs;
        try {
            theirs = st.snapshotFormat();
        } catch (RuntimeException | LinkageError e) {
            throw new Failed("the new revision's snapshotFormat() failed: " + e, e);
        }
        if (!format.equals(theirs)) {
            throw new Failed("the new revision reads snapshot format " + theirs + ", the old one wrote " + format);
        }
        try {
            for (Part p : parts) {
                if (p.hooks == null) {
                    continue;
                }
                ScopedContext ctx = newContext.apply(p);
                if (ctx == null) {
                    // the vnet went away meanwhile (its removal aborts these sockets once the gate opens)
                    LOG.info("upgrade of {}: vnet {} is gone, nothing to import there", name, p.pi.vnet());
                    continue;
                }
                p.nextCtx = ctx;
                ctx.deferTimers();
                Protocol next;
                try {
                    next = sw.init(ctx);
                } catch (Exception | LinkageError e) {
                    throw new Failed("the new revision's init failed in vnet " + p.pi.vnet() + ": " + e, e);
                }
                if (next == null) {
                    throw new Failed("the new revision's init returned null in vnet " + p.pi.vnet());
                }
                ctx.bindProtocol(next);
                p.next = next;
                try {
                    st.importProtocol(next, p.protocolState);
                } catch (Exception | LinkageError e) {
                    throw new Failed("the new revision refused " + name + "'s state in vnet " + p.pi.vnet() + " (format "
                            + format + " version " + version + "): " + e, e);
                }
                for (Moved m : p.pcbs) {
                    Pcb pcb;
                    try {
                        pcb = st.importPcb(next, m.socket().protoSocket(), m.state());
                    } catch (Exception | LinkageError e) {
                        throw new Failed("the new revision refused " + m.socket().describe() + " (format " + format + " version "
                                + version + "): " + e, e);
                    }
                    if (pcb == null) {
                        throw new Failed("the new revision's importPcb returned null for " + m.socket().describe());
                    }
                    p.imported.add(pcb);
                }
            }
        } catch (Failed f) {
            discardImported();
            throw f;
        }
    }

    /** Nothing half-imported stays: each imported pcb detached, each new instance destroyed, its context closed. */
    private void discardImported() {
        for (Part p : parts) {
            for (Pcb pcb : p.imported) {
                try {
                    pcb.detach();
                } catch (RuntimeException | LinkageError e) {
                    LOG.error("{}: detaching a pcb the new revision imported failed", entry.name(), e);
                }
            }
            p.imported.clear();
            if (p.next != null) {
                destroy(p.next, "the new revision's", p);
                p.next = null;
            }
            if (p.nextCtx != null) {
                p.nextCtx.close();
                p.nextCtx = null;
            }
        }
    }

    /** Every import succeeded: re-link, deliver the held packets in order, start the timers, open the gates. */
    void resume() {
        for (Part p : parts) {
            if (p.next == null) {
                continue;
            }
            for (int i = 0; i < p.pcbs.size(); i++) {
                p.pcbs.get(i).socket().relink(p.imported.get(i), p.nextCtx);
            }
            p.pi.revive(p.next, p.nextCtx);
        }
        for (Part p : parts) {
            for (InputHold h : p.holds) {
                if (p.next == null) {
                    h.discard();
                } else {
                    h.release();
                }
            }
            if (p.nextCtx != null) {
                p.nextCtx.resumeTimers();
            }
            p.pi.openGate();
        }
    }

    /** The sockets of every part (to abort when the upgrade failed). */
    List<AttachedSocket> allSockets() {
        List<AttachedSocket> l = new ArrayList<>();
        for (Part p : parts) {
            l.addAll(p.pi.remaining());
        }
        return l;
    }
}
