package org.protosw.launcher;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The framing of {@code protosw attach} over the runtime's Unix-domain socket, in the spirit of
 * an SSH session channel (RFC 4254: "pty-req", "window-change", "signal", "exit-status") cut to
 * what a local shell needs. Each frame is one type byte, a 4-byte big-endian length and that
 * many bytes. The client speaks first with {@link #HELLO}; the runtime answers {@link #WELCOME}
 * with its pid, then both sides send frames until the runtime sends {@link #EXIT}.
 *
 * <p>Why not a raw byte stream: a terminal session needs out-of-band events next to the bytes
 * (the window size, an interrupt sent by {@code kill -INT} to the client, the exit status), and
 * {@code -c} keeps stdout and stderr apart.
 */
final class AttachFrames {

    /** Bumped on any incompatible change; a runtime refuses a HELLO of another version. */
    static final int VERSION = 1;
    /** No frame is larger: a slow or hostile peer cannot make the other side allocate more. */
    static final int MAX_PAYLOAD = 1 << 20;

    // client -> runtime
    /** Mode, protocol version, terminal type, columns, rows, command (see {@link Hello}). */
    static final byte HELLO = 'H';
    /** Bytes typed on the client's terminal (raw mode: Ctrl-C arrives as 0x03). */
    static final byte INPUT = 'I';
    /** The client's window changed: columns and rows (SIGWINCH). */
    static final byte WINCH = 'W';
    /** A signal the client received and forwards to the session's command: its number (2 = INT). */
    static final byte SIGNAL = 'S';

    // runtime -> client
    /** The runtime's pid; the first frame the runtime sends. */
    static final byte WELCOME = 'P';
    /** Bytes for the client's stdout (the terminal). */
    static final byte OUT = 'O';
    /** Bytes for the client's stderr. */
    static final byte ERR = 'E';
    /** The session is over: its exit status (0-255). The last frame. */
    static final byte EXIT = 'X';

    static final int SIGINT = 2;

    /** What the client asks for. */
    enum Mode {
        /** An interactive shell on the client's terminal. */
        SHELL,
        /** One command ({@code attach -c}). */
        COMMAND,
        /** Whether the runtime runs, and what it serves ({@code status}). */
        STATUS,
        /** A clean stop, as SIGTERM ({@code stop}). */
        STOP
    }

    /** The first frame of a session. */
    record Hello(int version, Mode mode, String terminalType, int columns, int rows, String command) {

        byte[] encode() throws IOException {
            var bytes = new java.io.ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(version);
            out.writeUTF(mode.name());
            out.writeUTF(terminalType);
            out.writeInt(columns);
            out.writeInt(rows);
            byte[] line = command.getBytes(StandardCharsets.UTF_8);
            out.writeInt(line.length);
            out.write(line);
            out.flush();
            return bytes.toByteArray();
        }

        /** @throws IOException when the payload is not a HELLO this runtime reads */
        static Hello decode(byte[] payload) throws IOException {
            DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(payload));
            int version = in.readInt();
            if (version != VERSION) {
                throw new IOException("attach protocol version " + version + " (this runtime speaks " + VERSION
                        + "): run the bin/protosw of the same installation");
            }
            Mode mode;
            try {
                mode = Mode.valueOf(in.readUTF());
            } catch (IllegalArgumentException e) {
                throw new IOException("unknown attach mode", e);
            }
            String type = in.readUTF();
            int columns = in.readInt();
            int rows = in.readInt();
            int length = in.readInt();
            if (length < 0 || length > MAX_PAYLOAD) {
                throw new IOException("bad command length " + length);
            }
            byte[] line = in.readNBytes(length);
            return new Hello(version, mode, type, columns, rows, new String(line, StandardCharsets.UTF_8));
        }
    }

    /** One frame read. */
    record Frame(byte type, byte[] payload) {

        int intValue() throws IOException {
            if (payload.length != 4) {
                throw new IOException("frame '" + (char) type + "' carries " + payload.length + " bytes, not 4");
            }
            return (payload[0] & 0xff) << 24 | (payload[1] & 0xff) << 16 | (payload[2] & 0xff) << 8 | (payload[3] & 0xff);
        }

        /** The two ints of a {@link #WINCH}. */
        int[] size() throws IOException {
            if (payload.length != 8) {
                throw new IOException("window size frame carries " + payload.length + " bytes, not 8");
            }
            DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(payload));
            return new int[] {in.readInt(), in.readInt()};
        }
    }

    private AttachFrames() {
    }

    /** @return the next frame, or null at a clean end of stream (between frames) */
    static Frame read(InputStream in) throws IOException {
        int type = in.read();
        if (type < 0) {
            return null;
        }
        DataInputStream data = new DataInputStream(in);
        int length;
        try {
            length = data.readInt();
        } catch (EOFException e) {
            throw new EOFException("the connection ended inside a frame");
        }
        if (length < 0 || length > MAX_PAYLOAD) {
            throw new IOException("frame of " + length + " bytes (at most " + MAX_PAYLOAD + ")");
        }
        byte[] payload = new byte[length];
        data.readFully(payload);
        return new Frame((byte) type, payload);
    }

    /** Writes one frame; callers sharing {@code out} between threads synchronize on it. */
    static void write(OutputStream out, byte type, byte[] payload, int offset, int length) throws IOException {
        byte[] header = {type, (byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length};
        out.write(header);
        out.write(payload, offset, length);
        out.flush();
    }

    static byte[] intPayload(int value) {
        return new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value};
    }

    static byte[] sizePayload(int columns, int rows) {
        byte[] c = intPayload(columns);
        byte[] r = intPayload(rows);
        return new byte[] {c[0], c[1], c[2], c[3], r[0], r[1], r[2], r[3]};
    }

    /**
     * The one thread that writes a connection. A Unix-domain {@code SocketChannel} is an
     * interruptible channel: a thread interrupted while it writes closes it for good, and Gogo
     * interrupts a session's command on Ctrl-C. So commands never touch the channel: they queue
     * whole frames here (an interrupt does not lose them: the queueing cannot be interrupted),
     * and this thread, which nobody interrupts, writes them in order.
     */
    static final class Writer {
        private static final byte[] END = new byte[0];
        private final OutputStream connection;
        private final BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(256);
        private final CountDownLatch done = new CountDownLatch(1);
        private volatile IOException failure;
        private volatile boolean ended;

        Writer(OutputStream connection, String name) {
            this.connection = connection;
            Thread.ofPlatform().daemon().name(name).start(this::drain);
        }

        /** Queues one frame; fails once the connection is gone. */
        void send(byte type, byte[] payload, int offset, int length) throws IOException {
            IOException failed = failure;
            if (failed != null) {
                throw new IOException("the client is gone", failed);
            }
            if (ended) {
                throw new IOException("the session is over");
            }
            byte[] frame = new byte[5 + length];
            frame[0] = type;
            frame[1] = (byte) (length >>> 24);
            frame[2] = (byte) (length >>> 16);
            frame[3] = (byte) (length >>> 8);
            frame[4] = (byte) length;
            System.arraycopy(payload, offset, frame, 5, length);
            putUninterruptibly(frame);
        }

        /** Queues the last frame and waits (bounded) until everything queued is written. */
        void finish(byte type, byte[] payload) {
            try {
                send(type, payload, 0, payload.length);
            } catch (IOException e) {
                // the client is gone: nothing to finish
            }
            ended = true;
            putUninterruptibly(END);
            boolean interrupted = false;
            while (true) {
                try {
                    done.await(10, TimeUnit.SECONDS);
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        private void putUninterruptibly(byte[] frame) {
            boolean interrupted = false;
            while (true) {
                try {
                    queue.put(frame);
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        private void drain() {
            try {
                while (true) {
                    byte[] frame = queue.take();
                    if (frame == END) {
                        return;
                    }
                    if (failure == null) {
                        try {
                            connection.write(frame);
                            connection.flush();
                        } catch (IOException e) {
                            // keep taking, so no writer blocks on a full queue
                            failure = e;
                        }
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                done.countDown();
            }
        }
    }

    /**
     * An output stream that sends what is written as frames of {@code type} through a
     * connection's {@link Writer}. Closing it does not close the connection.
     */
    static final class FrameOutput extends OutputStream {
        private final Writer writer;
        private final byte type;

        FrameOutput(Writer writer, byte type) {
            this.writer = writer;
            this.type = type;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                int n = Math.min(len, MAX_PAYLOAD);
                writer.send(type, b, off, n);
                off += n;
                len -= n;
            }
        }

        @Override
        public void close() {
            // the connection belongs to the session
        }
    }
}
