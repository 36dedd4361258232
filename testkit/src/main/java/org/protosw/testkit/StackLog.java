package org.protosw.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What the stack logged since a mark: the lines appended to the test's log file, named by the
 * system property {@value #LOG_FILE} (the file the test's logback configuration writes, with
 * {@code org.protosw} at INFO so the core's steps are there). The order of the lines is the
 * order the stack recorded its steps in, which a test can assert without timing.
 */
public final class StackLog {
    /** System property naming the log file. */
    public static final String LOG_FILE = "protosw.testkit.log";

    private final Path file;
    private final long start;

    private StackLog(Path file, long start) {
        this.file = file;
        this.start = start;
    }

    /** Marks the current end of the log. */
    public static StackLog mark() {
        String name = System.getProperty(LOG_FILE);
        if (name == null || name.isBlank()) {
            throw new IllegalStateException(LOG_FILE + " is not set: give failsafe the path of the file the tests' logback writes");
        }
        Path file = Path.of(name);
        try {
            return new StackLog(file, Files.exists(file) ? Files.size(file) : 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The lines logged since the mark. */
    public List<String> lines() {
        try {
            byte[] all = Files.readAllBytes(file);
            return new String(all, (int) Math.min(start, all.length), (int) Math.max(0, all.length - start), StandardCharsets.UTF_8)
                    .lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The index of the first line since the mark that contains every one of {@code parts}, or -1. */
    public int indexOf(String... parts) {
        List<String> lines = lines();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            boolean all = true;
            for (String p : parts) {
                all &= line.contains(p);
            }
            if (all) {
                return i;
            }
        }
        return -1;
    }
}
