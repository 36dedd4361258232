package org.protosw.launcher;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import org.osgi.service.log.LogService;
import org.slf4j.LoggerFactory;

/**
 * The packages of the launcher's class path that the system bundle exports to the bundles:
 * slf4j and the OSGi log API.
 *
 * <p>Why slf4j and logback live on the launcher's class path rather than as bundles: slf4j 2
 * finds its backend with {@link java.util.ServiceLoader}, which looks in the caller's class
 * loader; inside OSGi each bundle has its own, so slf4j-api as a bundle finds no logback there
 * unless an OSGi ServiceLoader mediator (Apache Aries SPI-Fly) weaves it. With slf4j and logback
 * on the class path, ServiceLoader finds logback at once, and every bundle that imports
 * {@code org.slf4j} is wired to the system bundle, so all bundles share one logger context and
 * one log file. The OSGi log API is there because the launcher serves it ({@link OsgiLogBridge}).
 *
 * <p>Each export is the jar's own Export-Package header, so versions follow the jars (slf4j-api
 * also offers its 1.7 version, for bundles built against slf4j 1.7). The pax-exam tests export
 * the same.
 */
public final class SystemPackages {

    private SystemPackages() {
    }

    /** The value for {@code org.osgi.framework.system.packages.extra}. */
    public static String extra() {
        List<String> exports = new ArrayList<>();
        exports.add(exportsOf(LoggerFactory.class, "org.slf4j", "org.slf4j.spi", "org.slf4j.event", "org.slf4j.helpers"));
        exports.add(exportsOf(LogService.class, "org.osgi.service.log"));
        return String.join(",", exports);
    }

    /**
     * The Export-Package header of the jar holding {@code marker}; when it cannot be read (an
     * unpacked class path), {@code packages} at the version of {@code marker}'s package.
     */
    static String exportsOf(Class<?> marker, String... packages) {
        String header = exportHeader(marker);
        if (header != null && !header.isBlank()) {
            return header;
        }
        String version = marker.getPackage().getImplementationVersion();
        String suffix = version == null ? "" : ";version=" + version;
        List<String> clauses = new ArrayList<>();
        for (String name : packages) {
            clauses.add(name + suffix);
        }
        return String.join(",", clauses);
    }

    private static String exportHeader(Class<?> marker) {
        CodeSource source = marker.getProtectionDomain().getCodeSource();
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
