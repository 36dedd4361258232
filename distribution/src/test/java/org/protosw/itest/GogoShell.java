package org.protosw.itest;

import org.apache.felix.service.command.CommandProcessor;
import org.protosw.testkit.Shell;

/**
 * Runs shell commands in the test framework as a user would type them, capturing what they
 * print: the test kit's {@link Shell}, under the name these tests have used.
 */
final class GogoShell {
    private final Shell shell;

    GogoShell(CommandProcessor processor) {
        this.shell = new Shell(processor);
    }

    /** Output of a command that must succeed. */
    String run(String command) throws Exception {
        return shell.run(command);
    }

    /** The message of a command that must fail. */
    String fail(String command) throws Exception {
        return shell.fail(command);
    }
}
