package org.protosw.launcher;

import java.util.function.Consumer;
import sun.misc.Signal;

/**
 * SIGTERM and SIGINT as an orderly stop. Without handlers the JVM exits with 143/130 through
 * its shutdown hooks; with them the framework stops its bundles (so the core closes its sockets
 * and interfaces) and the launcher exits 0, as a service manager expects from a clean stop.
 */
final class Signals {

    private Signals() {
    }

    /** Calls {@code action} with the signal's name (SIGTERM, SIGINT) on each of them. */
    static void onTermination(Consumer<String> action) {
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> action.accept("SIG" + signal.getName()));
        }
    }
}
