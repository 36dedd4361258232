package org.protosw.udp.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.net.PipeConfig;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/** Destroying a vnet whose UDP sockets are in use: callers wake, its threads end, the rest goes on. */
class VnetDestroyTest {
    private static final String NAME = "doomed";

    @Test
    void destroyWakesBlockedReadersAndStopsEveryThreadOfTheVnet() throws Exception {
        try (Lab lab = new Lab()) {
            Vnet a = lab.def();
            Vnet c = lab.vnet(NAME);
            Lab.Link link = lab.link(a, "198.51.100.1", c, "198.51.100.2", 24);
            // a pipe in the doomed vnet, used once, so its dummynet thread runs
            c.pipes().config(1, PipeConfig.parse("delay 1ms"));
            c.pipes().attach(1, link.b(), false);
            Socket peer = Lab.udpSocket(a);
            peer.setOption(SockOpt.SO_RCVTIMEO, 5000);
            peer.bind(InetSockAddr.of("198.51.100.1", 0));
            Socket talker = Lab.udpSocket(c);
            talker.connect(peer.localAddress());
            talker.send(ByteBuffer.wrap(Payload.make(1, 64)));
            ByteBuffer in = ByteBuffer.allocate(100);
            assertThat(Payload.check(in.array(), peer.recv(in))).isEqualTo(1);
            String[] prefixes = {"netisr-" + NAME + "-", "callout-" + NAME, "dummynet-" + NAME};
            assertThat(Lab.threadsNamed("netisr-" + NAME + "-")).isNotEmpty();
            assertThat(Lab.threadsNamed("callout-" + NAME)).hasSize(1);
            assertThat(Lab.threadsNamed("dummynet-" + NAME)).hasSize(1);

            List<Socket> readers = new ArrayList<>();
            List<Lab.Task<Errno>> blocked = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Socket r = Lab.udpSocket(c);
                r.bind(InetSockAddr.of(i == 0 ? "198.51.100.2" : "127.0.0.1", 0));
                readers.add(r);
                blocked.add(lab.spawn("reader " + i, () -> {
                    try {
                        r.recv(ByteBuffer.allocate(100));
                        return null;
                    } catch (SocketException e) {
                        return e.errno();
                    }
                }));
            }
            for (Lab.Task<Errno> t : blocked) {
                Lab.await("the reader to block", 5000, () -> t.thread().getState() == Thread.State.WAITING);
            }
            // and one thread busy sending out of the doomed vnet through its pipe
            AtomicInteger sent = new AtomicInteger();
            Lab.Task<Errno> sender = lab.spawn("busy sender", () -> {
                for (;;) {
                    try {
                        talker.send(ByteBuffer.wrap(Payload.make(sent.get(), 64)));
                    } catch (SocketException e) {
                        return e.errno();
                    }
                    sent.incrementAndGet();
                }
            });
            Lab.await("the sender to be busy", 5000, () -> sent.get() > 100);

            lab.stack.core().destroyVnet(NAME);

            for (Lab.Task<Errno> t : blocked) {
                assertThat(t.join(5000)).isEqualTo(Errno.ECONNABORTED);
            }
            assertThat(sender.join(5000)).isEqualTo(Errno.ECONNABORTED);
            for (Socket s : readers) {
                assertThatThrownBy(() -> s.send(ByteBuffer.allocate(1)))
                        .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ECONNABORTED));
                s.close();
            }
            talker.close();
            assertThat(Lab.threadsNamed(prefixes)).as("threads of the destroyed vnet").isEmpty();
            assertThat(lab.stack.core().vnet(NAME)).isNull();
            assertThat(lab.udpStats(c)).as("UDP left the destroyed vnet").isEmpty();

            // the default vnet lost its end of the epair (and the route through it), nothing else
            assertThat(a.interfaces().byName(link.a().name())).isNull();
            assertThat(link.pair().isDestroyed()).isTrue();
            assertThatThrownBy(() -> peer.sendto(ByteBuffer.allocate(1), 0, InetSockAddr.of("198.51.100.2", 9)))
                    .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENETUNREACH));
            Socket lo = Lab.udpSocket(a);
            lo.bind(InetSockAddr.of("127.0.0.1", 0));
            lo.setOption(SockOpt.SO_RCVTIMEO, 5000);
            lo.sendto(ByteBuffer.wrap(Payload.make(2, 64)), 0, lo.localAddress());
            in.clear();
            assertThat(Payload.check(in.array(), lo.recv(in))).isEqualTo(2);
            // the name is free again
            Vnet again = lab.vnet(NAME);
            assertThat(Lab.threadsNamed("callout-" + NAME)).hasSize(1);
            Socket fresh = Lab.udpSocket(again);
            fresh.bind(InetSockAddr.of("127.0.0.1", 0));
            fresh.close();
            lo.close();
            peer.close();
        }
        assertThat(Lab.threadsNamed("netisr-" + NAME + "-", "callout-" + NAME, "dummynet-" + NAME)).isEmpty();
    }

    @Test
    void aDestroyedVnetMakesNoSocketsEvenWhenItsNameIsTakenAgain() throws Exception {
        try (Lab lab = new Lab()) {
            Vnet old = lab.vnet(NAME);
            Socket before = Lab.udpSocket(old);
            lab.stack.core().destroyVnet(NAME);
            assertThat(before.isClosed()).isTrue();
            assertThatThrownBy(() -> Lab.udpSocket(old))
                    .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EPROTONOSUPPORT));
            // an application still holding the old instance must not get a socket that
            // lives in the new one of the same name (where netstat would not show it)
            Vnet again = lab.vnet(NAME);
            assertThatThrownBy(() -> Lab.udpSocket(old))
                    .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EPROTONOSUPPORT));
            Socket fresh = Lab.udpSocket(again);
            assertThat(again.sockets().socketCount()).isEqualTo(1);
            fresh.close();
        }
    }

    @Test
    void creatingANameWhileItIsBeingDestroyedIsRefusedCleanly() throws Exception {
        try (Lab lab = new Lab()) {
            for (int round = 0; round < 20; round++) {
                Vnet v = lab.vnet(NAME);
                Socket s = Lab.udpSocket(v);
                s.bind(InetSockAddr.of("127.0.0.1", 0));
                Lab.Task<Void> destroyer = lab.spawn("destroyer", () -> {
                    lab.stack.core().destroyVnet(NAME);
                    return null;
                });
                Vnet next = null;
                while (next == null) {
                    try {
                        next = lab.vnet(NAME);
                    } catch (SocketException e) {
                        // the old one is still there (or still going): EEXIST, nothing else
                        assertThat(e.errno()).isEqualTo(Errno.EEXIST);
                        Thread.onSpinWait();
                    }
                }
                destroyer.join(10_000);
                assertThat(next).isNotSameAs(v);
                assertThat(lab.stack.core().vnet(NAME)).isSameAs(next);
                // the new instance is complete: UDP runs in it
                Socket t = Lab.udpSocket(next);
                t.bind(InetSockAddr.of("127.0.0.1", 0));
                t.setOption(SockOpt.SO_RCVTIMEO, 5000);
                t.sendto(ByteBuffer.wrap(Payload.make(round, 64)), 0, t.localAddress());
                ByteBuffer in = ByteBuffer.allocate(100);
                assertThat(Payload.check(in.array(), t.recv(in))).isEqualTo(round);
                t.close();
                lab.stack.core().destroyVnet(NAME);
            }
        }
        assertThat(Lab.threadsNamed("netisr-" + NAME + "-", "callout-" + NAME, "dummynet-" + NAME)).isEmpty();
    }
}
