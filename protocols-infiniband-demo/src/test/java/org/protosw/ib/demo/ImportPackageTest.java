package org.protosw.ib.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Manifest;

import org.junit.jupiter.api.Test;

/**
 * The build's check that this bundle is a third party: the manifest bnd wrote (in
 * process-classes, before the tests run) may import protosw's exported packages, OSGi's and
 * nothing else (the JDK's {@code java.*} are never imported, {@code -noimportjava}). A
 * reference to a core-internal class, slf4j or Gogo makes {@code mvn verify} fail here.
 */
class ImportPackageTest {
    private static final List<String> ALLOWED = List.of("org.protosw.socket", "org.protosw.spi", "org.protosw.wire");

    @Test
    void importsOnlyTheExportedApiOsgiAndTheJdk() throws Exception {
        Path mf = Path.of("target/classes/META-INF/MANIFEST.MF");
        assertThat(mf).as("bnd's manifest (bnd-maven-plugin runs in process-classes)").exists();
        Manifest m;
        try (InputStream in = Files.newInputStream(mf)) {
            m = new Manifest(in);
        }
        String imports = m.getMainAttributes().getValue("Import-Package");
        assertThat(imports).as("Import-Package").isNotNull();
        String exports = m.getMainAttributes().getValue("Export-Package");
        assertThat(forbidden(imports, exports)).as("Import-Package names packages a third-party protocol bundle may not use: " + imports).isEmpty();
        assertThat(packages(imports)).contains("org.protosw.spi");
    }

    /**
     * The imported packages that are neither protosw's exported API, OSGi's, the JDK's, nor
     * the bundle's own exports (bnd imports what a bundle exports, so it stays substitutable).
     */
    static List<String> forbidden(String imports, String exports) {
        List<String> own = exports == null ? List.of() : packages(exports);
        List<String> bad = new ArrayList<>();
        for (String pkg : packages(imports)) {
            if (!ALLOWED.contains(pkg) && !own.contains(pkg) && !pkg.startsWith("org.osgi.") && !pkg.startsWith("java.")) {
                bad.add(pkg);
            }
        }
        return bad;
    }

    @Test
    void theCheckRefusesCoreInternalsAndOtherLibraries() {
        String imports = "org.protosw.spi;version=\"[1.1,2)\",org.protosw.internal.kern,org.slf4j;version=\"[2.0,3)\","
                + "org.apache.felix.service.command;resolution:=optional,org.osgi.framework;version=\"[1.10,2)\",org.protosw.ib.demo";
        assertThat(forbidden(imports, "org.protosw.ib.demo;version=\"1.0.0\""))
                .containsExactly("org.protosw.internal.kern", "org.slf4j", "org.apache.felix.service.command");
    }

    /** Package names of a manifest header, skipping attributes and quoted version ranges. */
    static List<String> packages(String header) {
        List<String> out = new ArrayList<>();
        boolean quoted = false;
        StringBuilder cur = new StringBuilder();
        for (char c : (header + ",").toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == ',' && !quoted) {
                String clause = cur.toString().trim();
                int semi = clause.indexOf(';');
                out.add(semi < 0 ? clause : clause.substring(0, semi).trim());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        return out;
    }

    @Test
    void headerParsing() {
        assertThat(packages("org.protosw.spi;version=\"[1.1,2)\",org.slf4j;version=\"[2.0,3)\"")).containsExactly("org.protosw.spi", "org.slf4j");
    }
}
