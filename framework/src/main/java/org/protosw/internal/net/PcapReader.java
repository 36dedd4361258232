package org.protosw.internal.net;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a classic pcap file back (either byte order, microsecond or nanosecond magic), for
 * tests and for showing a capture. Never trusts a length field: a record longer than the
 * snaplen or cut short is an error, not an allocation.
 */
public final class PcapReader implements Closeable {
    private static final int MAGIC_NANOS = 0xa1b23c4d;

    /** One packet record: when (microseconds since the epoch), its length on the wire, the bytes kept. */
    public record Record(long timeMicros, int origLen, byte[] data) {
    }

    private final InputStream in;
    private final boolean swapped;
    private final boolean nanos;
    private final int versionMajor;
    private final int versionMinor;
    private final int snaplen;
    private final int linktype;
    private final byte[] hdr = new byte[PcapWriter.RECORD_HEADER_LENGTH];

    /** Reads and checks the file header. */
    public PcapReader(InputStream in) throws IOException {
        this.in = in instanceof BufferedInputStream ? in : new BufferedInputStream(in, 1 << 16);
        byte[] h = new byte[PcapWriter.FILE_HEADER_LENGTH];
        if (!readFully(h)) {
            throw new IOException("not a pcap file: shorter than the 24-byte header");
        }
        int le = get32(h, 0, false);
        int be = get32(h, 0, true);
        if (le == PcapWriter.MAGIC || le == MAGIC_NANOS) {
            swapped = false;
            nanos = le == MAGIC_NANOS;
        } else if (be == PcapWriter.MAGIC || be == MAGIC_NANOS) {
            swapped = true;
            nanos = be == MAGIC_NANOS;
        } else {
            throw new IOException(String.format("not a pcap file: magic 0x%08x (expected 0xa1b2c3d4 or 0xa1b23c4d)", le));
        }
        versionMajor = get16(h, 4);
        versionMinor = get16(h, 6);
        if (versionMajor != PcapWriter.VERSION_MAJOR) {
            throw new IOException("unsupported pcap version " + versionMajor + "." + versionMinor + " (expected 2.4)");
        }
        snaplen = get32(h, 16, swapped);
        linktype = get32(h, 20, swapped);
        if (snaplen <= 0 || snaplen > 1 << 24) {
            throw new IOException("bad pcap snaplen " + Integer.toUnsignedString(snaplen));
        }
    }

    public static PcapReader open(Path file) throws IOException {
        InputStream is = Files.newInputStream(file);
        try {
            return new PcapReader(is);
        } catch (IOException | RuntimeException e) {
            is.close();
            throw e;
        }
    }

    /** Every record of {@code file}. */
    public static List<Record> readAll(Path file) throws IOException {
        try (PcapReader r = open(file)) {
            List<Record> l = new ArrayList<>();
            for (Record rec; (rec = r.next()) != null;) {
                l.add(rec);
            }
            return l;
        }
    }

    public int versionMajor() {
        return versionMajor;
    }

    public int versionMinor() {
        return versionMinor;
    }

    public int snaplen() {
        return snaplen;
    }

    public int linktype() {
        return linktype;
    }

    /** True when the file was written big-endian. */
    public boolean bigEndian() {
        return swapped;
    }

    /** The next record, or null at the end of the file. */
    public Record next() throws IOException {
        int first = in.read();
        if (first < 0) {
            return null;
        }
        hdr[0] = (byte) first;
        if (in.readNBytes(hdr, 1, hdr.length - 1) != hdr.length - 1) {
            throw new EOFException("pcap record header cut short");
        }
        long sec = Integer.toUnsignedLong(get32(hdr, 0, swapped));
        long frac = Integer.toUnsignedLong(get32(hdr, 4, swapped));
        int caplen = get32(hdr, 8, swapped);
        int origLen = get32(hdr, 12, swapped);
        if (caplen < 0 || caplen > snaplen) {
            throw new IOException("pcap record of " + Integer.toUnsignedString(caplen) + " bytes exceeds the snaplen " + snaplen);
        }
        byte[] data = new byte[caplen];
        if (!readFully(data)) {
            throw new EOFException("pcap record cut short: " + caplen + " bytes announced");
        }
        long micros = sec * 1_000_000L + (nanos ? frac / 1000 : frac);
        return new Record(micros, origLen, data);
    }

    private boolean readFully(byte[] b) throws IOException {
        return in.readNBytes(b, 0, b.length) == b.length;
    }

    private int get16(byte[] b, int i) {
        int lo = b[i] & 0xff;
        int hi = b[i + 1] & 0xff;
        return swapped ? lo << 8 | hi : hi << 8 | lo;
    }

    private static int get32(byte[] b, int i, boolean bigEndian) {
        int b0 = b[i] & 0xff;
        int b1 = b[i + 1] & 0xff;
        int b2 = b[i + 2] & 0xff;
        int b3 = b[i + 3] & 0xff;
        return bigEndian ? b0 << 24 | b1 << 16 | b2 << 8 | b3 : b3 << 24 | b2 << 16 | b1 << 8 | b0;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
