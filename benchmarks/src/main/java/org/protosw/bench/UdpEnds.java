package org.protosw.bench;

import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import org.protosw.internal.kern.StandaloneStack;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/**
 * A connected UDP sender and its receiver over 127.0.0.1, on either stack, and what that
 * stack itself counts as dropped for a full receive buffer. {@link #send} is the sending
 * thread's, {@link #receive} the receiving thread's: each end has its own buffer.
 */
interface UdpEnds extends AutoCloseable {
    int PAYLOAD = 64;
    /** How long {@link #receive} waits for a datagram: long enough that an empty wait after the sender stopped means the buffer is drained. */
    int WAIT_MS = 200;

    /** Sends one datagram of {@link #PAYLOAD} bytes; false when the stack refused it. */
    boolean send();

    /** Receives one datagram; false when none came for {@link #WAIT_MS}. */
    boolean receive() throws IOException;

    /** The stack's count of datagrams dropped for a full socket buffer so far (compare two readings). */
    long fullBufferDrops() throws IOException;

    /** The stack's other count of datagrams dropped on the way to the socket so far, or 0 when it has none. */
    default long inputQueueDrops() {
        return 0;
    }

    /** The growth of the two counts over a run, in words, under this stack's names for them. */
    String counted(long fullBufferDrops, long inputQueueDrops);

    @Override
    void close() throws IOException;

    /** {@code rcvbuf} above 0 sets the receiver's SO_RCVBUF; 0 keeps the stack's default. */
    static UdpEnds protosw(StandaloneStack st, int rcvbuf) throws SocketException {
        return new Protosw(st, rcvbuf);
    }

    /** As {@link #protosw}; Linux doubles the size asked for (up to {@code net.core.rmem_max} doubled). */
    static UdpEnds kernel(int rcvbuf) throws IOException {
        return new Kernel(rcvbuf);
    }

    final class Protosw implements UdpEnds {
        private final StandaloneStack st;
        private final Socket rx;
        private final Socket tx;
        private final ByteBuffer out = ByteBuffer.allocate(PAYLOAD);
        private final ByteBuffer in = ByteBuffer.allocate(2048);

        private Protosw(StandaloneStack st, int rcvbuf) throws SocketException {
            this.st = st;
            rx = st.stack().socket(AF_INET, SOCK_DGRAM, 0);
            tx = st.stack().socket(AF_INET, SOCK_DGRAM, 0);
            if (rcvbuf > 0) {
                rx.setOption(SockOpt.SO_RCVBUF, rcvbuf);
            }
            rx.setOption(SockOpt.SO_RCVTIMEO, WAIT_MS);
            rx.bind(InetSockAddr.of("127.0.0.1", 0));
            tx.connect(rx.localAddress());
        }

        @Override
        public boolean send() {
            // send copies the payload into a packet of its own, so one buffer serves every send
            out.clear();
            try {
                tx.send(out);
            } catch (SocketException e) {
                return false;
            }
            return true;
        }

        @Override
        public boolean receive() throws SocketException {
            in.clear();
            try {
                rx.recv(in);
                return true;
            } catch (SocketException e) {
                if (e.errno() != Errno.EAGAIN) {
                    throw e;
                }
                return false; // SO_RCVTIMEO expired
            }
        }

        /** UDP's {@code udps_fullsock}: netstat -s -p udp's "dropped due to full socket buffers". */
        @Override
        public long fullBufferDrops() {
            return st.core().registry().entry("udp").instance(st.stack().name()).statistics()
                    .getOrDefault("dropped due to full socket buffers", 0L);
        }

        /**
         * Loopback input queues to netisr; the sender processes its own datagrams
         * (direct dispatch), so only past its budget do they wait there and may be dropped.
         */
        @Override
        public long inputQueueDrops() {
            return st.stack().netisr().droppedTotal();
        }

        @Override
        public String counted(long fullBufferDrops, long inputQueueDrops) {
            return String.format(Locale.ROOT, "UDP counted %,d dropped due to full socket buffers, netisr %,d for full input queues",
                    fullBufferDrops, inputQueueDrops);
        }

        @Override
        public void close() {
            tx.close();
            rx.close();
        }
    }

    final class Kernel implements UdpEnds {
        private static final Path SNMP = Path.of("/proc/net/snmp");
        private final DatagramChannel rx;
        private final DatagramChannel tx;
        private final Selector sel;
        private final ByteBuffer out = ByteBuffer.allocateDirect(PAYLOAD);
        private final ByteBuffer in = ByteBuffer.allocateDirect(2048);

        private Kernel(int rcvbuf) throws IOException {
            rx = DatagramChannel.open();
            tx = DatagramChannel.open();
            if (rcvbuf > 0) {
                rx.setOption(StandardSocketOptions.SO_RCVBUF, rcvbuf);
            }
            rx.bind(new InetSocketAddress("127.0.0.1", 0));
            tx.connect(rx.getLocalAddress());
            // non-blocking with a selector, so the receiver can wait a bounded time
            rx.configureBlocking(false);
            sel = Selector.open();
            rx.register(sel, SelectionKey.OP_READ);
        }

        @Override
        public boolean send() {
            out.clear();
            try {
                tx.write(out);
            } catch (IOException e) {
                return false;
            }
            return true;
        }

        @Override
        public boolean receive() throws IOException {
            while (true) {
                in.clear();
                if (rx.receive(in) != null) {
                    return true;
                }
                int ready = sel.select(WAIT_MS);
                sel.selectedKeys().clear();
                if (ready == 0) {
                    return false;
                }
            }
        }

        /**
         * RcvbufErrors of the Udp line in /proc/net/snmp: the whole network namespace's, so
         * another program's UDP drops during the run would count too.
         */
        @Override
        public long fullBufferDrops() throws IOException {
            List<String> udp = Files.readAllLines(SNMP).stream().filter(l -> l.startsWith("Udp: ")).toList();
            if (udp.size() != 2) {
                throw new IOException(SNMP + " has no Udp header and value line");
            }
            List<String> names = List.of(udp.get(0).split("\\s+"));
            String[] values = udp.get(1).split("\\s+");
            int i = names.indexOf("RcvbufErrors");
            if (i < 0 || i >= values.length) {
                throw new IOException(SNMP + ": no RcvbufErrors in its Udp line");
            }
            return Long.parseLong(values[i]);
        }

        @Override
        public String counted(long fullBufferDrops, long inputQueueDrops) {
            return String.format(Locale.ROOT, "RcvbufErrors grew %,d (/proc/net/snmp, whole network namespace)", fullBufferDrops);
        }

        @Override
        public void close() throws IOException {
            try (sel; tx; rx) {
                // all closed, the first failure reported
            }
        }
    }
}
