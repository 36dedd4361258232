package org.protosw.launcher;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;

/**
 * The process's own stdin/stdout/stderr, captured before the framework starts. Gogo's runtime
 * replaces {@code System.out}/{@code System.err} with per-thread streams while it runs; handing
 * those back to a Gogo session would loop, and our one-line reports must reach the real stderr.
 */
final class Console {

    private final InputStream in;
    private final PrintStream out;
    private final PrintStream err;

    private Console(InputStream in, PrintStream out, PrintStream err) {
        this.in = in;
        this.out = out;
        this.err = err;
    }

    static Console capture() {
        return new Console(System.in, System.out, System.err);
    }

    static Console of(InputStream in, PrintStream out, PrintStream err) {
        return new Console(in, out, err);
    }

    InputStream in() {
        return in;
    }

    /** stdout for a command session; closing the session must not close the process's stdout. */
    OutputStream sessionOut() {
        return unclosable(out);
    }

    /** stderr for a command session. */
    OutputStream sessionErr() {
        return unclosable(err);
    }

    Charset charset() {
        return out.charset();
    }

    void out(String line) {
        out.println(line);
        out.flush();
    }

    /** A message for the user: one line on stderr, prefixed so it is told apart from command output. */
    void report(String line) {
        err.println("protosw: " + line.replace('\n', ' ').replace('\r', ' '));
        err.flush();
    }

    /** A line on stderr as is (Gogo's own error format). */
    void errLine(String line) {
        err.println(line.replace('\n', ' ').replace('\r', ' '));
        err.flush();
    }

    void flush() {
        out.flush();
        err.flush();
    }

    private static OutputStream unclosable(PrintStream stream) {
        return new FilterOutputStream(stream) {
            @Override
            public void write(byte[] b, int off, int len) {
                stream.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        };
    }
}
