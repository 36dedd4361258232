package org.protosw.testkit;

/** An epair made by {@link Lab#epair}: its two ends, the vnet each is in and its address. */
public record Epair(String a, String vnetA, String addressA, String b, String vnetB, String addressB) {
}
