package org.protosw.internal.net;

import java.nio.file.Path;

/**
 * What {@code capture list} shows of one capture.
 *
 * @param packets    records written
 * @param bytes      packet bytes written (after the snaplen cut)
 * @param maxPackets the packet limit, 0 for none
 */
public record CaptureInfo(int id, String ifname, Path file, String direction, long packets, long bytes, long maxPackets,
        Capture.State state) {
}
