package org.protosw.internal.shell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.protosw.internal.kern.StandaloneStack;
import org.protosw.internal.kern.StackCore;
import org.protosw.internal.socket.TestDgramProto;

/**
 * The shell commands against a stack without OSGi, with what they print captured: a
 * {@link StandaloneStack} (lo0, raw IP) plus the test datagram protocol as "tdgram".
 */
final class Shell implements AutoCloseable {
    /** An experimental protocol number (RFC 3692) for the test protocol. */
    static final int TDGRAM = 253;

    final StandaloneStack stack;
    final TestDgramProto tdgram = new TestDgramProto();

    Shell() throws Exception {
        stack = new StandaloneStack();
        stack.register(tdgram, TestDgramProto.props("tdgram", TDGRAM), "org.protosw.test.dgram [7] 1.2.3");
    }

    StackCore core() {
        return stack.core();
    }

    /**
     * Vnet "b" joined to the default one by epair0: epair0a 192.0.2.1/24 here, epair0b
     * 192.0.2.2/24 there, set up with the shell commands themselves.
     */
    void linkToB() {
        IfconfigCommand ifconfig = command(new IfconfigCommand());
        out(() -> {
            command(new VnetCommand()).vnet("create", "b");
            ifconfig.ifconfig("epair", "create");
            ifconfig.ifconfig("epair0b", "vnet", "b");
            ifconfig.ifconfig("epair0a", "inet", "192.0.2.1/24", "up");
            ifconfig.ifconfig("-j", "b", "epair0b", "inet", "192.0.2.2/24", "up");
        });
    }

    <C extends NetCommand> C command(C c) {
        c.useCore(stack.core());
        return c;
    }

    /** Runs {@code body} with System.out captured; returns what it printed. */
    static String out(Body body) {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            body.run();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError(e);
        } finally {
            System.setOut(saved);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    /**
     * Runs a command expected to fail on its arguments or state: it must throw a
     * {@link CommandException} with a one-line message and print nothing. The message is
     * returned for content checks.
     */
    static String error(Body body) {
        Failure f = failure(body);
        assertThat(f.printed()).as("printed before failing").isEmpty();
        return f.message();
    }

    /** What a failing command printed before it failed, and its one-line message. */
    record Failure(String printed, String message) {
    }

    static Failure failure(Body body) {
        Throwable[] thrown = new Throwable[1];
        String printed = out(() -> thrown[0] = catchThrowable(body::run));
        assertThat(thrown[0]).as("the command should fail with a CommandException").isInstanceOf(CommandException.class);
        String msg = thrown[0].getMessage();
        assertThat(msg).isNotBlank().doesNotContain("\n");
        assertThat(thrown[0].getStackTrace()).as("no stack trace for the user").isEmpty();
        return new Failure(printed, msg);
    }

    @FunctionalInterface
    interface Body {
        void run() throws Exception;
    }

    @Override
    public void close() {
        stack.close();
    }
}
