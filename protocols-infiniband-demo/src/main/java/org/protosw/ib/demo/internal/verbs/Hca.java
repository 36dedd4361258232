package org.protosw.ib.demo.internal.verbs;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

import org.protosw.ib.demo.IbGid;
import org.protosw.ib.demo.internal.wire.IbOpcode;
import org.protosw.ib.demo.internal.wire.IbWireStatus;
import org.protosw.ib.demo.internal.wire.RocePacket;

/**
 * One host channel adapter with one port (a verbs {@code ibv_context}), over an
 * {@link RcPort}: the queue pair table, the demultiplexing of received packets to QPs (QP1
 * to the {@link CmAgent}), and the counters. One per vnet.
 */
public final class Hca {
    /** The General Services Interface QP, where the CM's MADs go. */
    public static final int QP1 = 1;

    final RcPort port;
    final IbConfig config;
    final IbStats stats = new IbStats();
    private final CmAgent cm;
    private final ConcurrentHashMap<Integer, QueuePair> qps = new ConcurrentHashMap<>();
    private int nextQpn = 0x11 + ThreadLocalRandom.current().nextInt(0x100);

    public Hca(RcPort port, IbConfig config) {
        this.port = port;
        this.config = config;
        this.cm = new CmAgent(this);
    }

    public CmAgent cm() {
        return cm;
    }

    public IbStats stats() {
        return stats;
    }

    public IbConfig config() {
        return config;
    }

    /** {@code ibv_create_qp} for an RC QP, in RESET. */
    public QueuePair createQp(CompletionQueue sendCq, CompletionQueue recvCq, RecvQueue rq, QueuePair.Events events) {
        synchronized (qps) {
            int qpn;
            do {
                qpn = nextQpn;
                nextQpn = nextQpn >= 0xfffff0 ? 0x11 : nextQpn + 1;
            } while (qps.containsKey(qpn));
            QueuePair qp = new QueuePair(this, qpn, sendCq, recvCq, rq, events);
            qps.put(qpn, qp);
            return qp;
        }
    }

    /** {@code ibv_destroy_qp}: outstanding work requests are flushed, later packets for it are counted and dropped. */
    public void destroyQp(QueuePair qp) {
        qp.toError(WcStatus.WR_FLUSH_ERR);
        qps.remove(qp.qpn, qp);
    }

    public QueuePair qp(int qpn) {
        return qps.get(qpn);
    }

    public List<QueuePair> qps() {
        return new ArrayList<>(qps.values());
    }

    /**
     * A received IB packet (BTH to ICRC) from the node {@code src}, its ICRC already verified
     * by the port. Malformed packets are counted and dropped; nothing here throws.
     */
    public void input(IbGid src, byte[] buf, int off, int len) {
        RocePacket p = new RocePacket().wrap(buf, off, len);
        IbWireStatus st = p.check();
        if (!st.ok()) {
            stats.malformed(st);
            return;
        }
        int op = p.bth().opcode();
        int dqp = p.bth().destQp();
        if (dqp == QP1) {
            if (op != IbOpcode.UD_SEND_ONLY) {
                stats.inc(IbStats.Counter.BAD_OPCODE);
                return;
            }
            cm.input(src, p);
            return;
        }
        if (!IbOpcode.isRc(op)) {
            stats.inc(IbStats.Counter.BAD_OPCODE);
            return;
        }
        QueuePair qp = qps.get(dqp);
        if (qp == null) {
            stats.inc(IbStats.Counter.NO_QP);
            return;
        }
        qp.input(p);
    }

    /** Destroys every QP and stops the CM (the vnet goes away or the bundle stops). */
    public void close() {
        cm.close();
        for (QueuePair qp : qps()) {
            destroyQp(qp);
        }
    }
}
