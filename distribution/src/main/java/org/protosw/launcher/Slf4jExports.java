package org.protosw.launcher;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import org.slf4j.LoggerFactory;

/**
 * The slf4j packages the system bundle exports to the bundles.
 *
 * <p>Why slf4j and logback live on the launcher's class path rather than as bundles: slf4j 2
 * finds its backend with {@link java.util.ServiceLoader}, which looks in the caller's class
 * loader; inside OSGi each bundle has its own, so slf4j-api as a bundle finds no logback there
 * unless an OSGi ServiceLoader mediator (Apache Aries SPI-Fly) weaves it. With slf4j and logback
 * on the class path, ServiceLoader finds logback at once, and every bundle that imports
 * {@code org.slf4j} is wired to the system bundle, so all bundles share one logger context and
 * one log file. The export is slf4j-api's own Export-Package header (it also offers the 1.7
 * version, for bundles built against slf4j 1.7). The pax-exam tests export the same.
 */
public final class Slf4jExports {

    private static final String[] PACKAGES = {"org.slf4j", "org.slf4j.spi", "org.slf4j.event", "org.slf4j.helpers"};

    private Slf4jExports() {
    }

    /** The value for {@code org.osgi.framework.system.packages.extra}. */
    public static String packages() {
        String header = exportHeader();
        return header == null || header.isBlank() ? fromPackageVersion() : header;
    }

    /** When the jar's manifest cannot be read (an unpacked class path): its package version. */
    private static String fromPackageVersion() {
        String version = LoggerFactory.class.getPackage().getImplementationVersion();
        String suffix = version == null ? "" : ";version=" + version;
        return String.join(",", java.util.Arrays.stream(PACKAGES).map(p -> p + suffix).toList());
    }

    private static String exportHeader() {
        CodeSource source = LoggerFactory.class.getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null) {
            return null;
        }
        try (JarFile jar = new JarFile(Path.of(source.getLocation().toURI()).toFile())) {
            Manifest manifest = jar.getManifest();
            return manifest == null ? null : manifest.getMainAttributes().getValue("Export-Package");
        } catch (IOException | URISyntaxException | IllegalArgumentException e) {
            return null;
        }
    }
}
