package org.protosw.internal.shell;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.net.CaptureInfo;
import org.protosw.internal.net.NetInterface;

/** {@code net:capture}: packet capture to pcap files that tcpdump, tshark and Wireshark read. */
@Component(service = CaptureCommand.class, property = {"osgi.command.scope=net", "osgi.command.function=capture"})
public final class CaptureCommand extends NetCommand {
    static final String USAGE = "capture [-j vnet] start IF FILE [count N] [snaplen N] [in|out|both] | capture [-j vnet] stop ID|IF"
            + " | capture [-j vnet] [list]";

    @Descriptor("capture packets to pcap files (raw IPv4 link type), readable by tcpdump, tshark and Wireshark\n"
            + "  capture start IF FILE [count N] [snaplen N] [in|out|both]   start capturing on interface IF\n"
            + "                          count: stop after N packets; snaplen: bytes kept per packet (default 65535)\n"
            + "  capture stop ID|IF      stop a capture and close its file\n"
            + "  capture [list]          captures with their packet and byte counts\n"
            + "  -j vnet                 before the subcommand: the stack instance (default: the default vnet)")
    public void capture(@Descriptor("start IF FILE ... | stop ID|IF | [list]") String... argv) {
        Args args = new Args("capture", USAGE, argv);
        Vnet v = instance("capture", args.options().vnet());
        String verb = args.nextOr("list");
        switch (verb) {
            case "list" -> {
                args.end();
                Table t = new Table(">ID", "IFACE", "DIR", "STATE", ">PACKETS", ">BYTES", "FILE");
                for (CaptureInfo c : v.captures().list()) {
                    t.row(c.id(), c.ifname(), c.direction(), c.state().name().toLowerCase(), c.packets(), c.bytes(), c.file());
                }
                System.out.print(t.isEmpty() ? "no captures in vnet " + v.name() + "\n" : t.toString());
            }
            case "start" -> {
                NetInterface ifp = requireInterface(v, args.next("interface"), "capture");
                String name = args.next("file");
                Path file;
                try {
                    file = Path.of(name).toAbsolutePath();
                } catch (InvalidPathException e) {
                    throw args.fail("'" + name + "' is not a file name (" + e.getReason() + ")");
                }
                long count = 0;
                int snaplen = 0;
                String dir = "both";
                while (!args.isEmpty()) {
                    String w = args.next("option");
                    switch (w) {
                        case "count" -> count = args.nextInt("count", 1, Integer.MAX_VALUE);
                        case "snaplen" -> snaplen = args.nextInt("snaplen", 20, 65535);
                        case "in", "out", "both" -> dir = w;
                        default -> throw args.fail("unknown option '" + w + "' (accepted: count N, snaplen N, in, out, both)");
                    }
                }
                long c = count;
                int s = snaplen;
                String d = dir;
                int id = core("capture", () -> v.captures().start(ifp, file, s, c, d));
                System.out.println("capture " + id + " on " + ifp.name() + " (" + d + ") -> " + file);
            }
            case "stop" -> {
                String what = args.next("capture id or interface");
                args.end();
                boolean byId = !what.isEmpty() && what.chars().allMatch(c -> c >= '0' && c <= '9');
                int id = byId ? (int) args.parseLong(what, "capture id", 1, Integer.MAX_VALUE) : 0;
                CaptureInfo info = core("capture", () -> byId ? v.captures().stop(id) : v.captures().stop(what));
                System.out.println("capture " + info.id() + " stopped: " + info.packets() + " packets, " + info.bytes() + " bytes in " + info.file());
            }
            default -> throw args.fail("unknown subcommand '" + verb + "' (accepted: start, stop, list)");
        }
    }
}
