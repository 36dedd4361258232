package org.protosw.tcp.harness;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every script under {@code src/test/resources/scripts} (packetdrill-style: socket calls and
 * the exact segments in and out, with timing), in folders by area as packetdrill's own tests
 * are (handshake, input, output, timers, sack, syncache, close), runs against a fresh stack.
 */
class SegmentScriptTest {
    @TestFactory
    Stream<DynamicTest> scripts() throws IOException, URISyntaxException {
        Path root = Path.of(SegmentScriptTest.class.getResource("/scripts").toURI());
        return scriptsUnder(root).stream().map(f -> DynamicTest.dynamicTest(root.relativize(f).toString(), () -> {
            try (ScriptRunner r = new ScriptRunner()) {
                r.run(Files.readString(f, StandardCharsets.UTF_8));
            }
        }));
    }

    /**
     * The {@code .pkt} files anywhere under {@code root}, in path order; none at all is an
     * error, so a misplaced or emptied folder cannot make the suite pass with nothing run.
     */
    static List<Path> scriptsUnder(Path root) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(root)) {
            files = s.filter(p -> Files.isRegularFile(p) && p.toString().endsWith(".pkt")).sorted().toList();
        }
        if (files.isEmpty()) {
            throw new AssertionError("no segment scripts (*.pkt) under " + root + ": nothing would be tested");
        }
        return files;
    }
}
