package org.protosw.internal.net;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a classic pcap file (the libpcap format tcpdump, tshark and Wireshark read):
 * magic {@code 0xa1b2c3d4}, version 2.4, microsecond timestamps. The link type defaults to
 * {@link #LINKTYPE_RAW}: each record is a bare IPv4 packet, so no link header is made up.
 * Fields are written little-endian; readers recognise the byte order from the magic.
 *
 * <p>Thread-safe: records from concurrent callers are whole and in call order. Buffered;
 * {@link #close} flushes.
 */
public final class PcapWriter implements Closeable {
    public static final int MAGIC = 0xa1b2c3d4;
    public static final int VERSION_MAJOR = 2;
    public static final int VERSION_MINOR = 4;
    public static final int DEFAULT_SNAPLEN = 65535;
    /** Raw IP: the packet starts with its IPv4 or IPv6 header. */
    public static final int LINKTYPE_RAW = 101;
    public static final int FILE_HEADER_LENGTH = 24;
    public static final int RECORD_HEADER_LENGTH = 16;

    private final OutputStream out;
    private final int snaplen;
    private final byte[] hdr = new byte[RECORD_HEADER_LENGTH];
    private long packets;
    private long bytes;
    private boolean closed;

    /** Writes the file header to {@code out} (which this writer then owns and closes). */
    public PcapWriter(OutputStream out, int snaplen, int linktype) throws IOException {
        if (snaplen < 1 || snaplen > 262_144) {
            throw new IllegalArgumentException("pcap snaplen " + snaplen + " out of range (accepted: 1 to 262144)");
        }
        this.out = out instanceof BufferedOutputStream ? out : new BufferedOutputStream(out, 1 << 16);
        this.snaplen = snaplen;
        byte[] h = new byte[FILE_HEADER_LENGTH];
        put32(h, 0, MAGIC);
        put16(h, 4, VERSION_MAJOR);
        put16(h, 6, VERSION_MINOR);
        put32(h, 8, 0); // thiszone: timestamps are UTC
        put32(h, 12, 0); // sigfigs
        put32(h, 16, snaplen);
        put32(h, 20, linktype);
        this.out.write(h);
    }

    /** Creates (or truncates) {@code file} for raw IPv4 packets. */
    public static PcapWriter create(Path file, int snaplen) throws IOException {
        OutputStream os = Files.newOutputStream(file);
        try {
            return new PcapWriter(os, snaplen, LINKTYPE_RAW);
        } catch (IOException | RuntimeException e) {
            os.close();
            throw e;
        }
    }

    public int snaplen() {
        return snaplen;
    }

    /**
     * Appends one record: {@code len} bytes of packet data seen at {@code timeMicros}
     * (microseconds since the epoch), cut to the snaplen. The bytes are copied before
     * this returns.
     */
    public synchronized void write(long timeMicros, byte[] data, int off, int len) throws IOException {
        if (closed) {
            throw new IOException("pcap writer is closed");
        }
        int caplen = Math.min(len, snaplen);
        put32(hdr, 0, (int) (timeMicros / 1_000_000L));
        put32(hdr, 4, (int) (timeMicros % 1_000_000L));
        put32(hdr, 8, caplen);
        put32(hdr, 12, len);
        out.write(hdr);
        out.write(data, off, caplen);
        packets++;
        bytes += caplen;
    }

    /** Records written. */
    public synchronized long packets() {
        return packets;
    }

    /** Packet bytes written (after the snaplen cut, without headers). */
    public synchronized long bytes() {
        return bytes;
    }

    public synchronized void flush() throws IOException {
        if (!closed) {
            out.flush();
        }
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        out.close();
    }

    private static void put16(byte[] b, int i, int v) {
        b[i] = (byte) v;
        b[i + 1] = (byte) (v >>> 8);
    }

    private static void put32(byte[] b, int i, int v) {
        b[i] = (byte) v;
        b[i + 1] = (byte) (v >>> 8);
        b[i + 2] = (byte) (v >>> 16);
        b[i + 3] = (byte) (v >>> 24);
    }
}
