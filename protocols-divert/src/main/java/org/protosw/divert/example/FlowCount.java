package org.protosw.divert.example;

/** Packets and bytes a {@link Diverter} saw of one {@link Flow}. */
public record FlowCount(long packets, long bytes) {
}
