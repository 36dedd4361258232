package org.protosw.divert.internal;

/** Package-private parts of the rules for tests in other packages. */
public final class TestAccess {
    private TestAccess() {
    }

    /** As the protocol's init in {@code vnet} does. */
    public static void attach(DivertRules rules, String vnet) {
        rules.attach(vnet);
    }
}
