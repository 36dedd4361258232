package org.protosw.tcp.internal;

import org.protosw.tcp.cc.CongestionControl;

/**
 * One registered congestion control algorithm: its name, its code and who provides it
 * ({@code struct cc_algo} on FreeBSD's {@code cc_list}). Once {@link #gone()} it is never
 * picked again: connections that still use it are being moved off.
 */
final class CcAlgo {
    private final String name;
    private final CongestionControl impl;
    private final String provider;
    private volatile boolean gone;

    CcAlgo(String name, CongestionControl impl, String provider) {
        this.name = name;
        this.impl = impl;
        this.provider = provider;
    }

    String name() {
        return name;
    }

    CongestionControl impl() {
        return impl;
    }

    /** The bundle that registered it (symbolic name and id), for listings. */
    String provider() {
        return provider;
    }

    boolean gone() {
        return gone;
    }

    void markGone() {
        gone = true;
    }

    @Override
    public String toString() {
        return name + " (" + provider + ")";
    }
}
