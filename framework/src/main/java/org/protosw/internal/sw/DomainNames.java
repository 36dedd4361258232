package org.protosw.internal.sw;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.protosw.socket.SocketConstants;

/**
 * The names of the address families registered domains gave ({@code dom_name}), for
 * messages and tables: a family once named keeps its name, so a log line written after the
 * domain left still says "ib" rather than "af27".
 */
public final class DomainNames {
    private static final Map<Integer, String> NAMES = new ConcurrentHashMap<>();

    private DomainNames() {
    }

    static void put(int family, String name) {
        NAMES.put(family, name);
    }

    /** The registered name, else {@link SocketConstants#domainName(int)} ({@code afNN}). */
    public static String of(int family) {
        String n = NAMES.get(family);
        return n != null ? n : SocketConstants.domainName(family);
    }
}
