package org.protosw.internal.shell;

import org.junit.jupiter.api.Test;
import org.protosw.socket.*;

class ScratchTest {
    static void show(String title, Shell.Body b) {
        try {
            System.err.println("=== " + title + "\n" + Shell.out(b));
        } catch (Throwable t) {
            System.err.println("=== " + title + " THREW " + t);
        }
    }
    @Test
    void explore() throws Exception {
        try (Shell sh = new Shell()) {
            IfconfigCommand ifc = sh.command(new IfconfigCommand());
            VnetCommand vn = sh.command(new VnetCommand());
            PingCommand ping = sh.command(new PingCommand());
            NetstatCommand ns = sh.command(new NetstatCommand());
            show("epair create", () -> ifc.ifconfig("epair", "create"));
            show("vnet create b", () -> vn.vnet("create", "b"));
            show("move", () -> ifc.ifconfig("epair0b", "vnet", "b"));
            show("addr", () -> ifc.ifconfig("epair0a", "inet", "192.0.2.1/24", "up"));
            show("addr b", () -> ifc.ifconfig("-j", "b", "epair0b", "inet", "192.0.2.2/24", "up"));
            show("ping lo big", () -> ping.ping("-c", "2", "-i", "0.01", "-s", "20000", "127.0.0.1"));
            show("ping lo max", () -> ping.ping("-c", "1", "-s", "65507", "127.0.0.1"));
            show("ping epair max", () -> ping.ping("-c", "1", "-s", "65507", "192.0.2.2"));
            show("ping noroute", () -> ping.ping("-c", "1", "198.51.100.1"));
            show("ping S", () -> ping.ping("-c", "1", "-S", "10.1.1.1", "127.0.0.1"));
            show("ping S", () -> ping.ping("-c", "1", "-S", "192.0.2.1", "127.0.0.1"));
            show("ping bad", () -> ping.ping("-c", "x", "127.0.0.1"));
            show("netstat -s", () -> ns.netstat("-s", "-p", "icmp"));
            show("netstat -p", () -> ns.netstat("-a", "-p", "raw"));
            show("netstat -p", () -> ns.netstat("-a", "-p", "udp"));
        }
    }
}
