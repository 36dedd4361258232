package org.protosw.internal.socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.protosw.internal.socket.Errnos.buf;
import static org.protosw.internal.socket.Errnos.pattern;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;
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
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;

class AdapterTest {
    private final TestNet net = new TestNet();
    private final TestStreamProto stream = net.streamProto();
    private final TestDgramProto dgram = net.dgramProto();
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final List<Socket> open = new ArrayList<>();

    @AfterEach
    void tearDown() throws InterruptedException {
        open.forEach(Socket::close);
        pool.shutdownNow();
        assertThat(pool.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        net.close();
        assertThat(stream.ledger.violations()).isEmpty();
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
        return new Socket[] {c, s};
    }

    @Test
    void streamsCarryEveryByteAndEndWithMinusOne() throws Exception {
        Socket[] p = pair();
        byte[] data = pattern(70_000);
        Future<?> writer = pool.submit(() -> {
            OutputStream out = p[0].outputStream();
            out.write(data, 0, 30_000);
            out.write(data[30_000]);
            out.write(data, 30_001, data.length - 30_001);
            out.flush();
            p[0].shutdown(SocketConstants.SHUT_WR);
            return null;
        });
        InputStream in = p[1].inputStream();
        byte[] got = in.readAllBytes();
        writer.get(5, TimeUnit.SECONDS);
        assertThat(got).isEqualTo(data);
        assertThat(in.read()).isEqualTo(-1);
        assertThat(p[1].inputStream()).isSameAs(in);
    }

    @Test
    void streamsBlockEvenOnANonBlockingSocket() throws Exception {
        Socket[] p = pair();
        p[1].setNonBlocking(true);
        Future<Integer> reader = pool.submit(() -> p[1].inputStream().read());
        Thread.sleep(20);
        assertThat(reader.isDone()).isFalse();
        p[0].send(buf("A"));
        assertThat(reader.get(5, TimeUnit.SECONDS)).isEqualTo('A');
        assertThat(p[1].inputStream().available()).isZero();
    }

    @Test
    void anAbortSurfacesAsTheSocketException() throws Exception {
        Socket[] p = pair();
        Future<Integer> reader = pool.submit(() -> p[1].inputStream().read());
        while (((SocketImpl) p[1]).threadsInFlight().isEmpty()) {
            Thread.onSpinWait();
        }
        ((SocketImpl) p[1]).abortByCore();
        assertThatThrownBy(() -> reader.get(5, TimeUnit.SECONDS)).cause().isInstanceOfSatisfying(SocketException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.ECONNABORTED));
    }

    @Test
    void closingAStreamClosesTheSocket() throws Exception {
        Socket[] p = pair();
        p[0].outputStream().close();
        assertThat(p[0].isClosed()).isTrue();
        assertThat(p[1].inputStream().read()).isEqualTo(-1);
    }

    @Test
    void channelInBothModes() throws Exception {
        Socket[] p = pair();
        ByteChannel ch = p[1].channel();
        assertThat(ch.isOpen()).isTrue();
        p[1].setNonBlocking(true);
        ByteBuffer in = ByteBuffer.allocate(16);
        assertThat(ch.read(in)).as("EAGAIN reads as 0").isZero();
        assertThat(p[0].channel().write(buf("hello"))).isEqualTo(5);
        assertThat(ch.read(in)).isEqualTo(5);
        assertThat(ch.read(ByteBuffer.allocate(0))).isZero();
        p[0].shutdown(SocketConstants.SHUT_WR);
        assertThat(ch.read(in)).isEqualTo(-1);

        ByteChannel wch = p[1].channel();
        ByteBuffer big = ByteBuffer.allocate(64 * 1024);
        assertThat(wch.write(big)).isEqualTo(16384);
        assertThat(wch.write(big)).as("EAGAIN writes as 0").isZero();

        ch.close();
        assertThat(ch.isOpen()).isFalse();
        assertThat(p[1].isClosed()).isTrue();
        assertThatThrownBy(() -> ch.read(ByteBuffer.allocate(4))).isInstanceOf(ClosedChannelException.class);
    }

    @Test
    void datagramChannelReadsOneDatagramPerRead() throws Exception {
        Socket s = net.dgram();
        open.add(s);
        s.bind(InetSockAddr.of("127.0.0.1", 0));
        s.connect(s.localAddress());
        ByteChannel ch = s.channel();
        ch.write(buf("one"));
        ch.write(buf("two"));
        ByteBuffer in = ByteBuffer.allocate(16);
        assertThat(ch.read(in)).isEqualTo(3);
        assertThat(ch.read(in)).isEqualTo(3);
        assertThat(new String(in.array(), 0, 6)).isEqualTo("onetwo");
    }
}
