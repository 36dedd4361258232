package org.protosw.internal.priv;

import java.util.Objects;

/**
 * Who asks ({@code struct ucred}): a bundle by symbolic name, or the core itself, which is
 * never checked.
 */
public record Cred(String bundle) {
    /** The core's own code: its shell commands, its protocols, tests of the core. */
    public static final Cred KERNEL = new Cred("(kernel)");

    public Cred {
        Objects.requireNonNull(bundle, "bundle");
    }

    /** The core's bundle: its code is the kernel. */
    public static final String CORE_BUNDLE = "org.protosw.framework";

    /**
     * The credential of the bundle an owner string names ({@code "org.protosw.udp [12] 1.0.0"}:
     * its first word); the core's bundle, and no owner at all (the core's own registrations and
     * its tests), are the kernel.
     */
    public static Cred ofOwner(String owner) {
        if (owner == null || owner.isBlank()) {
            return KERNEL;
        }
        String s = owner.strip();
        int sp = s.indexOf(' ');
        return ofBundle(sp < 0 ? s : s.substring(0, sp));
    }

    /** The credential of a bundle by symbolic name. */
    public static Cred ofBundle(String symbolicName) {
        return CORE_BUNDLE.equals(symbolicName) ? KERNEL : new Cred(symbolicName);
    }

    public boolean isKernel() {
        return this == KERNEL;
    }
}
