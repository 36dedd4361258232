package org.protosw.internal.net;

/**
 * A snapshot of one pipe's counters.
 *
 * @param inPackets      packets offered to the pipe
 * @param inBytes        their bytes
 * @param outPackets     packets handed on, duplicates included
 * @param outBytes       their bytes
 * @param queueDrops     tail drops: the serialization queue was full
 * @param lost           dropped on entry by the loss rate (plr)
 * @param duplicated     extra copies delivered
 * @param reordered      packets held back so later ones overtook them
 * @param corrupted      packets delivered with a flipped bit
 * @param schedulerDrops refused by the scheduler (its caps were reached, or it was closed)
 * @param flushed        dropped while waiting because the pipe was deleted or detached
 * @param queueLength    packets now waiting to be serialized
 * @param queueBytes     their bytes
 */
public record PipeStats(long inPackets, long inBytes, long outPackets, long outBytes, long queueDrops, long lost,
        long duplicated, long reordered, long corrupted, long schedulerDrops, long flushed, int queueLength,
        long queueBytes) {
}
