package org.protosw.bench;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.protosw.internal.kern.StandaloneStack;
import org.protosw.tcp.internal.TcpProtoSw;
import org.protosw.udp.internal.UdpProtoSw;

/** A protosw stack in this JVM, without OSGi, with the protocols loaded as their bundles would. */
final class Protosw {
    /** The command line's {@code --sysctl name=value}s: every stack of the run starts from them. */
    private static final Map<String, String> SYSCTLS = new LinkedHashMap<>();
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    private Protosw() {
    }

    static void sysctl(String name, String value) {
        SYSCTLS.put(name, value);
    }

    static Map<String, String> sysctls() {
        return Collections.unmodifiableMap(SYSCTLS);
    }

    /** A stack with the raw switch only, tuned as the command line says. */
    static StandaloneStack bare() throws Exception {
        return new StandaloneStack(SYSCTLS);
    }

    static StandaloneStack withUdp() throws Exception {
        StandaloneStack s = bare();
        s.register(new UdpProtoSw(), UdpProtoSw.PROPERTIES, "org.protosw.udp (bench)");
        return known(s);
    }

    static StandaloneStack withTcp() throws Exception {
        StandaloneStack s = bare();
        s.register(TcpProtoSw.standalone(), TcpProtoSw.PROPERTIES, "org.protosw.tcp (bench)");
        return known(s);
    }

    /** A --sysctl the stack has no tunable of would be a silent no-op: a typo said once. */
    private static StandaloneStack known(StandaloneStack s) {
        for (String name : SYSCTLS.keySet()) {
            if (s.stack().sysctl().find(name) == null && WARNED.add(name)) {
                System.err.println("bench: --sysctl " + name + ": this stack has no such tunable (ignored)");
            }
        }
        return s;
    }
}
