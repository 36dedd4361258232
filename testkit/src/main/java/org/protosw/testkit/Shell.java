package org.protosw.testkit;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;

/** Runs shell commands in the test framework as a user would type them, capturing what they print. */
public final class Shell {
    private final CommandProcessor processor;

    public Shell(CommandProcessor processor) {
        this.processor = processor;
    }

    /** Output of a command that must succeed. */
    public String run(String command) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        try (CommandSession s = processor.createSession(new ByteArrayInputStream(new byte[0]), ps, ps)) {
            Object r = s.execute(command);
            if (r != null) {
                ps.println(s.format(r, Converter.INSPECT));
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The message of a command that must fail. */
    public String fail(String command) throws Exception {
        try {
            String out = run(command);
            throw new AssertionError("'" + command + "' did not fail; it printed:\n" + out);
        } catch (AssertionError e) {
            throw e;
        } catch (Exception e) {
            return e.getMessage();
        }
    }
}
