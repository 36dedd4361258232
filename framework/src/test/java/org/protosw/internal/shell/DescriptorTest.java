package org.protosw.internal.shell;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.felix.service.command.Descriptor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What {@code help <command>} prints comes from the {@link Descriptor}s: each command's text
 * names every option its code accepts and no other, and the keywords it takes; the usage
 * that error messages quote names the same options.
 */
class DescriptorTest {
    private static final Pattern OPTION = Pattern.compile("(?<![\\w.'-])-[A-Za-z][A-Za-z]*");

    static java.util.stream.Stream<Arguments> commands() {
        return java.util.stream.Stream.of(
                Arguments.of(IfconfigCommand.class, "ifconfig", IfconfigCommand.USAGE, Set.of("-j", "-a", "-alias"),
                        Set.of("epair create", "destroy", "inet", "alias", "delete", "mtu", "up|down", "vnet NAME")),
                Arguments.of(RouteCommand.class, "route", RouteCommand.USAGE, Set.of("-j", "-n", "-net", "-host", "-interface", "-iface", "-mtu"),
                        Set.of("show", "add", "default", "delete", "get")),
                Arguments.of(NetstatCommand.class, "netstat", NetstatCommand.USAGE, Set.of("-j", "-a", "-n", "-W", "-T", "-p", "-s", "-i", "-r"),
                        Set.of("Recv-Q", "Send-Q", "tcp_info", "statistics", "interface counters", "routing table")),
                Arguments.of(ProtocolsCommand.class, "protocols", ProtocolsCommand.USAGE, Set.of(),
                        Set.of("list", "drain NAME", "undrain NAME", "bundle", "version", "state", "open sockets")),
                Arguments.of(VnetCommand.class, "vnet", VnetCommand.USAGE, Set.of("-v"), Set.of("list", "create NAME", "destroy NAME")),
                Arguments.of(PipeCommand.class, "pipe", PipeCommand.USAGE, Set.of("-j"),
                        Set.of("show|list", "config", "bw", "bandwidth", "delay", "plr", "dup", "reorder", "gap", "corrupt", "queue", "seed",
                                "delete", "attach IF in|out", "detach IF in|out")),
                Arguments.of(CaptureCommand.class, "capture", CaptureCommand.USAGE, Set.of("-j"),
                        Set.of("start IF FILE", "count N", "snaplen N", "in|out|both", "stop ID|IF", "list")),
                Arguments.of(SysctlCommand.class, "sysctl", SysctlCommand.USAGE, Set.of("-j", "-a", "-d"), Set.of("NAME=VALUE", "PREFIX")),
                Arguments.of(PingCommand.class, "ping", PingCommand.USAGE, Set.of("-j", "-c", "-s", "-i", "-t", "-m", "-S"), Set.of("host")),
                Arguments.of(SystatCommand.class, "systat", SystatCommand.USAGE, Set.of("-j", "-n", "-w", "-c"),
                        Set.of("interface", "TCP", "busiest connections", "Ctrl-C")),
                Arguments.of(DiagCommand.class, "diag", "diag", Set.of(), Set.of("unresolved", "refused", "draining")));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("commands")
    void helpDescribesExactlyTheAcceptedOptions(Class<?> type, String function, String usage, Set<String> options, Set<String> words) {
        Method m = commandMethod(type, function);
        String text = m.getAnnotation(Descriptor.class).value();
        assertThat(text.lines().findFirst().orElseThrow()).as("a one-line summary first").isNotBlank();
        assertThat(optionsIn(text, function, options)).as("options in the description of %s", function).isEqualTo(new TreeSet<>(options));
        assertThat(optionsIn(usage, function, options)).as("options in the usage of %s", function).isEqualTo(new TreeSet<>(options));
        assertThat(text).contains(words);
        assertThat(m.getParameters()[0].getAnnotation(Descriptor.class)).as("the argument is described").isNotNull();
    }

    private static Method commandMethod(Class<?> type, String function) {
        Method[] found = Arrays.stream(type.getMethods()).filter(x -> x.getName().equals(function)).toArray(Method[]::new);
        assertThat(found).as("one public %s method", function).hasSize(1);
        Method m = found[0];
        assertThat(Modifier.isPublic(m.getModifiers())).isTrue();
        assertThat(m.getParameterTypes()).containsExactly(String[].class);
        assertThat(m.getExceptionTypes()).as("no checked exceptions for Gogo to print").isEmpty();
        return m;
    }

    /** The options a text names; netstat's combined single letters (-an) count as their letters. */
    private static Set<String> optionsIn(String text, String function, Set<String> accepted) {
        Set<String> found = new TreeSet<>();
        Matcher o = OPTION.matcher(text);
        while (o.find()) {
            String opt = o.group();
            if (function.equals("netstat") && !accepted.contains(opt) && opt.length() > 2) {
                opt.substring(1).chars().forEach(c -> found.add("-" + (char) c));
            } else {
                found.add(opt);
            }
        }
        return found;
    }
}
