package org.protosw.internal.kern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;

import java.lang.ref.WeakReference;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.protosw.internal.socket.TestDgramProto;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.spi.KernSocket;
import org.protosw.spi.NetModule;
import org.protosw.spi.Protocol;

/**
 * The context of an in-stack socket's owner keeps the socket only while it lives. One the
 * owner closed and one the core aborted when the lower protocol left are let go at their
 * detach: each references the lower protocol's pcb, so keeping them would keep an unloaded
 * lower bundle's objects (and class loader) reachable for as long as the owner stays, and an
 * owner that reopens its lower socket after each return would pile them up. Seen first with
 * the InfiniBand demo's RoCEv2 port on UDP.
 */
class InStackSocketRetentionTest {
    @Test
    void aClosedAndAnAbortedInStackSocketDoNotKeepTheLowerProtocolReachable() throws Exception {
        try (StandaloneStack stack = new StandaloneStack()) {
            TestDgramProto lower = new TestDgramProto();
            stack.register(lower, TestDgramProto.props("tudp", 17), "org.example.lower [40] 1.0.0");
            NetModule owner = ctx -> {
                KernSocket closed = ctx.socreate(AF_INET, SOCK_DGRAM, 17, null);
                closed.bind(new InetSockAddr(InAddr.LOOPBACK, 0));
                closed.close();
                // left open: the core aborts it when tudp leaves
                ctx.socreate(AF_INET, SOCK_DGRAM, 17, null).bind(new InetSockAddr(InAddr.LOOPBACK, 0));
                return () -> {
                };
            };
            stack.core().addModule(owner, "org.example.owner [41] 1.0.0");
            WeakReference<Protocol> proto = new WeakReference<>(lower.instances.get(0));
            stack.unregister(lower);
            lower = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (proto.get() != null && System.nanoTime() < deadline) {
                System.gc();
                Thread.sleep(20);
            }
            assertThat(proto.get()).as("the unloaded lower protocol's instance, while the owner module stays").isNull();
            stack.core().removeModule(owner);
        }
    }
}
