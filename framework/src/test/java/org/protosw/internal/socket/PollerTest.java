package org.protosw.internal.socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.internal.socket.Errnos.assertErrno;
import static org.protosw.internal.socket.Errnos.buf;
import static org.protosw.socket.Poller.EVFILT_READ;
import static org.protosw.socket.Poller.EVFILT_WRITE;
import static org.protosw.socket.Poller.EV_ADD;
import static org.protosw.socket.Poller.EV_CLEAR;
import static org.protosw.socket.Poller.EV_DELETE;
import static org.protosw.socket.Poller.EV_DISABLE;
import static org.protosw.socket.Poller.EV_ENABLE;
import static org.protosw.socket.Poller.EV_EOF;
import static org.protosw.socket.Poller.EV_ERROR;
import static org.protosw.socket.Poller.EV_ONESHOT;
import static org.protosw.socket.SocketConstants.SHUT_WR;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.PollEvent;
import org.protosw.socket.Poller;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

class PollerTest {
    private final TestNet net = new TestNet();
    private final TestDgramProto dgram = net.dgramProto();
    private final TestStreamProto stream = net.streamProto();
    private final Poller kq = net.layer.newPoller();
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final List<Socket> open = new ArrayList<>();

    @AfterEach
    void tearDown() throws InterruptedException {
        kq.close();
        open.forEach(Socket::close);
        pool.shutdownNow();
        assertThat(pool.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        net.close();
        assertThat(dgram.ledger.violations()).isEmpty();
        assertThat(stream.ledger.violations()).isEmpty();
    }

    private Socket bound() throws SocketException {
        Socket s = net.dgram();
        open.add(s);
        s.bind(InetSockAddr.of("127.0.0.1", 0));
        return s;
    }

    private Socket[] pair() throws SocketException {
        Socket l = net.stream();
        open.add(l);
        l.listen(5);
        Socket c = net.stream();
        open.add(c);
        c.connect(l.localAddress());
        Socket s = l.accept();
        open.add(s);
        return new Socket[] {c, s, l};
    }

    private List<PollEvent> now() throws SocketException {
        return kq.poll(16, 0);
    }

    @Test
    void levelTriggeredReadStaysReadyUntilDrained() throws Exception {
        Socket s = bound();
        kq.change(s, EVFILT_READ, EV_ADD, "mine");
        assertThat(now()).isEmpty();
        s.sendto(buf("12345"), 0, s.localAddress());
        List<PollEvent> ev = now();
        assertThat(ev).hasSize(1);
        assertThat(ev.get(0).socket()).isSameAs(s);
        assertThat(ev.get(0).filter()).isEqualTo(EVFILT_READ);
        assertThat(ev.get(0).data()).isEqualTo(5);
        assertThat(ev.get(0).udata()).isEqualTo("mine");
        assertThat(ev.get(0).eof()).isFalse();
        assertThat(now()).as("still readable").hasSize(1);
        s.recv(ByteBuffer.allocate(16));
        assertThat(now()).isEmpty();
    }

    @Test
    void edgeTriggeredReportsOncePerWakeup() throws Exception {
        Socket s = bound();
        kq.change(s, EVFILT_READ, EV_ADD | EV_CLEAR, null);
        s.sendto(buf("a"), 0, s.localAddress());
        assertThat(now()).hasSize(1);
        assertThat(now()).as("no new data, no event").isEmpty();
        s.sendto(buf("b"), 0, s.localAddress());
        List<PollEvent> ev = now();
        assertThat(ev).hasSize(1);
        assertThat(ev.get(0).data()).isEqualTo(2);
    }

    @Test
    void oneshotFiresOnceAndIsGone() throws Exception {
        Socket s = bound();
        kq.change(s, EVFILT_READ, EV_ADD | EV_ONESHOT, null);
        s.sendto(buf("a"), 0, s.localAddress());
        assertThat(now()).hasSize(1);
        s.sendto(buf("b"), 0, s.localAddress());
        assertThat(now()).isEmpty();
        assertErrno(Errno.ENOENT, () -> kq.change(s, EVFILT_READ, EV_DELETE, null));
    }

    @Test
    void deleteDisableEnable() throws Exception {
        Socket s = bound();
        assertErrno(Errno.ENOENT, () -> kq.change(s, EVFILT_READ, EV_DELETE, null));
        assertErrno(Errno.ENOENT, () -> kq.change(s, EVFILT_READ, EV_ENABLE, null));
        kq.change(s, EVFILT_READ, EV_ADD | EV_DISABLE, null);
        s.sendto(buf("a"), 0, s.localAddress());
        assertThat(now()).isEmpty();
        kq.change(s, EVFILT_READ, EV_ENABLE, null);
        assertThat(now()).hasSize(1);
        kq.change(s, EVFILT_READ, EV_DELETE, null);
        s.sendto(buf("b"), 0, s.localAddress());
        assertThat(now()).isEmpty();
    }

    @Test
    void endOfStreamIsEvEof() throws Exception {
        Socket[] p = pair();
        kq.change(p[1], EVFILT_READ, EV_ADD, null);
        assertThat(now()).isEmpty();
        p[0].shutdown(SHUT_WR);
        List<PollEvent> ev = now();
        assertThat(ev).hasSize(1);
        assertThat(ev.get(0).flags() & EV_EOF).isNotZero();
    }

    @Test
    void abortIsEvEofOnBothFilters() throws Exception {
        Socket s = bound();
        kq.change(s, EVFILT_READ, EV_ADD, null);
        kq.change(s, EVFILT_WRITE, EV_ADD | EV_CLEAR, null);
        assertThat(now()).hasSize(1);
        ((SocketImpl) s).abortByCore();
        List<PollEvent> ev = now();
        assertThat(ev).hasSize(2).allMatch(PollEvent::eof);
    }

    @Test
    void pendingErrorIsEvError() throws Exception {
        Socket s = bound();
        s.connect(InetSockAddr.of("127.0.0.1", 9));
        kq.change(s, EVFILT_READ, EV_ADD, null);
        s.send(buf("refused"));
        List<PollEvent> ev = now();
        assertThat(ev).hasSize(1);
        assertThat(ev.get(0).flags() & EV_ERROR).isNotZero();
        assertThat(ev.get(0).data()).isEqualTo(Errno.ECONNREFUSED.number());
    }

    @Test
    void writeFilterFollowsSendSpace() throws Exception {
        Socket[] p = pair();
        kq.change(p[0], EVFILT_WRITE, EV_ADD, null);
        List<PollEvent> ev = now();
        assertThat(ev).hasSize(1);
        assertThat(ev.get(0).data()).isEqualTo(8192);
        p[0].setNonBlocking(true);
        ByteBuffer big = ByteBuffer.allocate(64 * 1024);
        p[0].send(big);
        assertThat(now()).isEmpty();
        p[1].recv(ByteBuffer.allocate(8192));
        ev = now();
        assertThat(ev).hasSize(1);
        assertThat(ev.get(0).filter()).isEqualTo(EVFILT_WRITE);
        assertThat(ev.get(0).data()).isEqualTo(8192);
    }

    @Test
    void unconnectedStreamSocketIsNotWritable() throws Exception {
        Socket s = net.stream();
        open.add(s);
        kq.change(s, EVFILT_WRITE, EV_ADD, null);
        assertThat(now()).isEmpty();
    }

    @Test
    void listenerIsReadableWithPendingConnections() throws Exception {
        Socket l = net.stream();
        open.add(l);
        l.listen(5);
        kq.change(l, EVFILT_READ, EV_ADD, null);
        assertThat(now()).isEmpty();
        for (int i = 0; i < 2; i++) {
            Socket c = net.stream();
            open.add(c);
            c.connect(l.localAddress());
        }
        List<PollEvent> ev = now();
        assertThat(ev).hasSize(1);
        assertThat(ev.get(0).data()).isEqualTo(2);
        open.add(l.accept());
        open.add(l.accept());
        assertThat(now()).isEmpty();
    }

    @Test
    void pollBlocksUntilDataArrives() throws Exception {
        Socket s = bound();
        Socket w = bound();
        kq.change(s, EVFILT_READ, EV_ADD, null);
        Future<List<PollEvent>> waiting = pool.submit(() -> kq.poll(4, -1));
        awaitParkedInPoll();
        w.sendto(buf("x"), 0, s.localAddress());
        assertThat(waiting.get(5, TimeUnit.SECONDS)).hasSize(1);
    }

    @Test
    void wakeupEndsAPollWithoutEvents() throws Exception {
        Future<List<PollEvent>> waiting = pool.submit(() -> kq.poll(4, -1));
        awaitParkedInPoll();
        kq.wakeup();
        assertThat(waiting.get(5, TimeUnit.SECONDS)).isEmpty();
        assertThat(kq.poll(4, 10)).as("timeout").isEmpty();
    }

    @Test
    void maxEventsBoundsOnePoll() throws Exception {
        List<Socket> socks = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Socket s = bound();
            socks.add(s);
            kq.change(s, EVFILT_READ, EV_ADD, i);
            s.sendto(buf("x"), 0, s.localAddress());
        }
        List<PollEvent> first = kq.poll(3, 0);
        assertThat(first).hasSize(3);
        List<PollEvent> second = kq.poll(10, 0);
        assertThat(second).hasSize(5);
    }

    @Test
    void closingASocketRemovesItsKnotes() throws Exception {
        Socket s = bound();
        kq.change(s, EVFILT_READ, EV_ADD, null);
        s.sendto(buf("x"), 0, s.localAddress());
        s.close();
        assertThat(now()).isEmpty();
        assertErrno(Errno.EBADF, () -> kq.change(s, EVFILT_READ, EV_ADD, null));
        assertThat(((SocketImpl) s).so.rknotes.get()).isEmpty();
    }

    @Test
    void changeErrors() throws Exception {
        Socket s = bound();
        assertErrno(Errno.EINVAL, () -> kq.change(s, 42, EV_ADD, null));
        assertErrno(Errno.EINVAL, () -> kq.poll(0, 0));
        try (TestNet other = new TestNet()) {
            other.dgramProto();
            Socket foreign = other.dgram();
            assertErrno(Errno.EBADF, () -> kq.change(foreign, EVFILT_READ, EV_ADD, null));
            foreign.close();
        }
        Poller closed = net.layer.newPoller();
        closed.close();
        assertErrno(Errno.EBADF, () -> closed.poll(1, 0));
        assertErrno(Errno.EBADF, () -> closed.change(s, EVFILT_READ, EV_ADD, null));
    }

    @Test
    void closingThePollerDetachesItsKnotes() throws Exception {
        Socket s = bound();
        Poller p2 = net.layer.newPoller();
        p2.change(s, EVFILT_READ, EV_ADD, null);
        assertThat(((SocketImpl) s).so.rknotes.get()).hasSize(1);
        p2.close();
        assertThat(((SocketImpl) s).so.rknotes.get()).isEmpty();
    }

    /**
     * Waits until a thread is parked inside the poller's {@code poll}, so what the test does
     * next wakes a blocked poll rather than one that has not started yet.
     */
    private static void awaitParkedInPoll() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            for (var e : Thread.getAllStackTraces().entrySet()) {
                Thread.State st = e.getKey().getState();
                if ((st == Thread.State.WAITING || st == Thread.State.TIMED_WAITING) && java.util.Arrays.stream(e.getValue())
                        .anyMatch(f -> f.getClassName().equals(PollerImpl.class.getName()) && f.getMethodName().equals("poll"))) {
                    return;
                }
            }
            Thread.sleep(1);
        }
        throw new AssertionError("no thread parked in poll after 10 s");
    }
}
