package org.protosw.launcher;

import java.io.IOException;

/**
 * Entry point of bin/protosw. Exit status: 0 success, 1 failure (a command, a script line, the
 * runtime, or no runtime to attach to), 2 bad command line, 3 {@code status}: not running.
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        // before the framework starts: Gogo swaps System.out/err for its own streams
        Console console = Console.capture();
        LaunchMode mode;
        try {
            mode = LaunchMode.parse(args);
        } catch (LaunchMode.UsageException e) {
            console.report(e.getMessage());
            console.errLine("Try 'protosw --help' for more information.");
            System.exit(2);
            return;
        }
        if (mode instanceof LaunchMode.Help) {
            console.out(LaunchMode.USAGE.stripTrailing());
            System.exit(0);
            return;
        }
        int status;
        try {
            Layout layout = Layout.locate(System.getProperties(), System.getenv());
            status = mode.isClient() ? new AttachClient(layout, console).run(mode)
                    : new Launcher(layout, mode, console).run();
        } catch (IOException | RuntimeException e) {
            console.report(ErrorLines.oneLine(e));
            status = 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            status = 1;
        }
        console.flush();
        System.exit(status);
    }
}
