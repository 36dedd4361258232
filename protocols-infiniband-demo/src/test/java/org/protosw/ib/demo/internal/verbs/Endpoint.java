package org.protosw.ib.demo.internal.verbs;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;

/** One side of a test connection: a QP with its CQs, received messages in a queue, send slots. */
final class Endpoint {
    final LinkedBlockingQueue<WorkCompletion> received = new LinkedBlockingQueue<>();
    final LinkedBlockingQueue<WorkCompletion> sendErrors = new LinkedBlockingQueue<>();
    final Semaphore slots = new Semaphore(32);
    final AtomicReference<WcStatus> fatal = new AtomicReference<>();
    volatile boolean recvOpen = true;
    final QueuePair qp;
    private final CompletionQueue scq;
    private final CompletionQueue rcq;

    Endpoint(Hca hca) {
        scq = new CompletionQueue(this::drainSend);
        rcq = new CompletionQueue(this::drainRecv);
        RecvQueue rq = new RecvQueue() {
            @Override
            public boolean posted() {
                return recvOpen;
            }

            @Override
            public boolean fits(int len) {
                return recvOpen;
            }
        };
        qp = hca.createQp(scq, rcq, rq, new QueuePair.Events() {
            @Override
            public void fatal(QueuePair q, WcStatus why) {
                fatal.compareAndSet(null, why);
            }
        });
    }

    private void drainSend() {
        WorkCompletion wc;
        while ((wc = scq.poll()) != null) {
            if (wc.status() != WcStatus.SUCCESS) {
                sendErrors.add(wc);
            }
            slots.release();
        }
    }

    private void drainRecv() {
        WorkCompletion wc;
        while ((wc = rcq.poll()) != null) {
            received.add(wc);
        }
    }

    void send(byte[] msg) throws InterruptedException {
        slots.acquire();
        qp.postSend(0, msg, 0, msg.length, 0, false);
    }
}
