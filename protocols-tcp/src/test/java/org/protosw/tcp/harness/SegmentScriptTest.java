package org.protosw.tcp.harness;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every script in {@code src/test/resources/scripts} (packetdrill-style: socket calls and the
 * exact segments in and out, with timing) runs against a fresh stack.
 */
class SegmentScriptTest {
    @TestFactory
    Stream<DynamicTest> scripts() throws IOException, URISyntaxException {
        Path dir = Path.of(SegmentScriptTest.class.getResource("/scripts").toURI());
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.toString().endsWith(".pkt")).sorted().toList();
        }
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
            String text;
            try (InputStream in = Files.newInputStream(f)) {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            try (ScriptRunner r = new ScriptRunner()) {
                r.run(text);
            }
        }));
    }
}
