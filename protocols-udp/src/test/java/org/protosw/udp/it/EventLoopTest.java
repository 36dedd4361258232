package org.protosw.udp.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.protosw.socket.SocketConstants.MSG_DONTWAIT;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.Vnet;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.PollEvent;
import org.protosw.socket.Poller;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/** One thread serving several non-blocking UDP sockets through a poller, as an event loop does. */
class EventLoopTest {
    private static final int EACH = 300;

    @Test
    void aPollerServesDatagramsErrorsAndTheUnload() throws Exception {
        try (Lab lab = new Lab()) {
            Vnet a = lab.def();
            Vnet b = lab.vnet("b");
            lab.link(a, "192.0.2.1", b, "192.0.2.2", 24);
            Socket lo = Lab.udpSocket(a);
            lo.bind(InetSockAddr.of("127.0.0.1", 0));
            Socket ep = Lab.udpSocket(a);
            ep.bind(InetSockAddr.of("192.0.2.1", 0));
            Poller kq = a.newPoller();
            for (Socket s : new Socket[] {lo, ep}) {
                s.setNonBlocking(true);
                s.setOption(SockOpt.SO_RCVBUF, 256 * 1024);
                kq.change(s, Poller.EVFILT_READ, Poller.EV_ADD, s == lo ? "lo" : "ep");
            }
            Lab.Task<Void> local = lab.spawn("local sender", () -> {
                Socket tx = Lab.udpSocket(a);
                for (int i = 0; i < EACH; i++) {
                    tx.sendto(ByteBuffer.wrap(Payload.make(i, 100)), 0, lo.localAddress());
                }
                tx.close();
                return null;
            });
            Lab.Task<Void> remote = lab.spawn("remote sender", () -> {
                Socket tx = Lab.udpSocket(b);
                for (int i = 0; i < EACH; i++) {
                    tx.sendto(ByteBuffer.wrap(Payload.make(EACH + i, 100)), 0, ep.localAddress());
                }
                tx.close();
                return null;
            });

            Map<Object, Integer> got = new HashMap<>();
            ByteBuffer in = ByteBuffer.allocate(200);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (got.values().stream().mapToInt(Integer::intValue).sum() < 2 * EACH && System.nanoTime() - deadline < 0) {
                for (PollEvent ev : kq.poll(8, 1000)) {
                    assertThat(ev.filter()).isEqualTo(Poller.EVFILT_READ);
                    assertThat(ev.flags() & (Poller.EV_EOF | Poller.EV_ERROR)).isZero();
                    for (;;) {
                        in.clear();
                        int n;
                        try {
                            n = ev.socket().recv(in, MSG_DONTWAIT);
                        } catch (SocketException e) {
                            assertThat(e.errno()).isEqualTo(Errno.EAGAIN);
                            break;
                        }
                        int seq = Payload.check(in.array(), n);
                        int base = "lo".equals(ev.udata()) ? 0 : EACH;
                        assertThat(seq).as("intact and from the right sender").isEqualTo(base + got.getOrDefault(ev.udata(), 0));
                        got.merge(ev.udata(), 1, Integer::sum);
                    }
                }
            }
            local.join(5000);
            remote.join(5000);
            assertThat(got).containsEntry("lo", EACH).containsEntry("ep", EACH);
            assertThat(kq.poll(8, 0)).as("nothing left to read").isEmpty();

            // a connected socket's port unreachable shows as an error event
            Socket closedPeer = Lab.udpSocket(b);
            closedPeer.bind(InetSockAddr.of("192.0.2.2", 0));
            InetSockAddr closed = (InetSockAddr) closedPeer.localAddress();
            closedPeer.close();
            Socket c = Lab.udpSocket(a);
            c.setNonBlocking(true);
            c.connect(closed);
            kq.change(c, Poller.EVFILT_READ, Poller.EV_ADD, "c");
            c.send(ByteBuffer.allocate(8));
            List<PollEvent> err = kq.poll(8, 5000);
            assertThat(err).singleElement().satisfies(ev -> {
                assertThat(ev.udata()).isEqualTo("c");
                assertThat(ev.flags() & Poller.EV_ERROR).isNotZero();
                assertThat(ev.data()).isEqualTo(Errno.ECONNREFUSED.number());
            });
            assertThatThrownBy(() -> c.recv(ByteBuffer.allocate(10), 0))
                    .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ECONNREFUSED));
            assertThat(kq.poll(8, 0)).isEmpty();

            // the protocol goes: every socket reports the end, and calls fail with ECONNABORTED
            lab.unloadUdp();
            List<PollEvent> ends = kq.poll(8, 5000);
            assertThat(ends).extracting(PollEvent::udata).containsExactlyInAnyOrder("lo", "ep", "c");
            assertThat(ends).allSatisfy(ev -> assertThat(ev.flags() & Poller.EV_EOF).isNotZero());
            assertThatThrownBy(() -> lo.recv(ByteBuffer.allocate(10), 0))
                    .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ECONNABORTED));
            kq.close();
        }
    }
}
