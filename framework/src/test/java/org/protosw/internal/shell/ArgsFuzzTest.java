package org.protosw.internal.shell;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.protosw.internal.net.PipeConfig;

/**
 * Fuzz targets for the shell's argument parsing: {@link Args}, the dnctl-style
 * {@link PipeConfig} words, and whole command lines of {@code route}, {@code ifconfig},
 * {@code pipe}, {@code sysctl}, {@code netstat}, {@code vnet}, {@code protocols} and
 * {@code diag} against a stack without OSGi.
 *
 * <p>The promise (common brief, "Shell commands"): bad arguments get a one-line message
 * saying what was wrong and what is accepted. So whatever the words, a command either
 * succeeds or throws a {@link CommandException} whose message is one line; nothing else
 * escapes (no NumberFormatException, IndexOutOfBoundsException, NullPointerException...).
 * Commands that reach outside the stack are left out: {@code ping} (waits for answers),
 * {@code capture} (writes files) and anything naming a {@code tun} device (opens the host's
 * /dev/net/tun and could configure a host address, which the network safety rule forbids).
 */
class ArgsFuzzTest {
    private static final String[] VOCABULARY = {
        "-j", "default", "b", "lab", "-a", "-n", "-s", "-i", "-r", "-T", "-p", "-d", "udp", "tcp", "ip", "icmp", "tdgram",
        "lo0", "epair", "epair0a", "epair0b", "epair1a", "create", "destroy", "up", "down", "inet", "mtu", "vnet", "delete",
        "add", "get", "show", "list", "-net", "-host", "default", "-interface", "-blackhole", "-reject", "-mtu",
        "192.0.2.1/24", "192.0.2.2", "198.51.100.0/24", "127.0.0.1", "0.0.0.0/0", "10.0.0.0/8", "1500", "68", "65535", "0",
        "-1", "99999999999", "config", "attach", "detach", "in", "out", "1", "2", "bw", "10Mbit/s", "delay", "50ms", "plr",
        "0.01", "dup", "reorder", "gap", "corrupt", "queue", "100KB", "seed", "drain", "undrain",
        "net.inet.ip.ttl", "net.inet.ip.ttl=32", "net.inet.ip.forwarding=1", "kern.ipc.somaxconn", "net.inet", "=", "",
    };

    @FuzzTest(maxDuration = "10s")
    void args(FuzzedDataProvider data) {
        Args a = new Args("fuzz", "fuzz [-j vnet] [-x] WORD...", words(data, 8));
        int ops = data.consumeInt(0, 10);
        try {
            for (int i = 0; i < ops; i++) {
                switch (data.consumeInt(0, 7)) {
                    case 0 -> a.options("-x", "-y");
                    case 1 -> a.next("word");
                    case 2 -> a.nextInt("number", data.consumeLong(), data.consumeLong());
                    case 3 -> a.nextAddr("address");
                    case 4 -> a.flag("-x");
                    case 5 -> a.nextOr("fallback");
                    case 6 -> a.rest();
                    default -> a.end();
                }
            }
        } catch (CommandException e) {
            assertOneLine(e);
        }
    }

    @FuzzTest(maxDuration = "10s")
    void pipeConfig(FuzzedDataProvider data) {
        List<String> w = List.of(words(data, 12));
        PipeConfig c;
        try {
            c = PipeConfig.parse(w);
        } catch (IllegalArgumentException e) {
            // the pipe command hands this on as a CommandException, which makes it one line
            assertThat(e.getMessage()).startsWith("pipe config: ").contains("accepted");
            assertOneLine(new CommandException(e.getMessage()));
            return;
        }
        assertThat(PipeConfig.parse(c.toWords())).as("what `pipe show` prints configures the same pipe").isEqualTo(c);
    }

    @FuzzTest(maxDuration = "10s")
    void commands(FuzzedDataProvider data) throws Exception {
        try (Shell sh = new Shell()) {
            int lines = data.consumeInt(1, 4);
            for (int i = 0; i < lines; i++) {
                int which = data.consumeInt(0, 7);
                String[] argv = words(data, 8);
                if (String.join(" ", argv).toLowerCase().contains("tun")) {
                    continue;
                }
                try {
                    Shell.out(() -> run(sh, which, argv));
                } catch (CommandException e) {
                    assertOneLine(e);
                }
            }
        }
    }

    private static void run(Shell sh, int which, String[] argv) {
        switch (which) {
            case 0 -> sh.command(new RouteCommand()).route(argv);
            case 1 -> sh.command(new IfconfigCommand()).ifconfig(argv);
            case 2 -> sh.command(new PipeCommand()).pipe(argv);
            case 3 -> sh.command(new SysctlCommand()).sysctl(argv);
            case 4 -> sh.command(new NetstatCommand()).netstat(argv);
            case 5 -> sh.command(new VnetCommand()).vnet(argv);
            case 6 -> sh.command(new ProtocolsCommand()).protocols(argv);
            default -> sh.command(new DiagCommand()).diag(argv);
        }
    }

    /** Up to {@code max} words, each from the commands' vocabulary or made up. */
    private static String[] words(FuzzedDataProvider data, int max) {
        int n = data.consumeInt(0, max);
        List<String> w = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            w.add(data.consumeBoolean() ? data.pickValue(VOCABULARY) : data.consumeString(24));
        }
        return w.toArray(String[]::new);
    }

    private static void assertOneLine(CommandException e) {
        assertThat(e.getMessage()).isNotBlank().doesNotContainPattern("[\\p{Cntrl}\u2028\u2029]");
    }
}
