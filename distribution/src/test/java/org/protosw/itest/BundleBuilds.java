package org.protosw.itest;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.osgi.framework.Bundle;
import org.osgi.framework.Version;

/** Second builds of a bundle for upgrade tests: the same jar under another Bundle-Version. */
final class BundleBuilds {
    private BundleBuilds() {
    }

    /** The jar with another Bundle-Version in its manifest, everything else as it is. */
    static byte[] withVersion(byte[] jar, String version) throws IOException {
        return withManifest(jar, m -> m.getMainAttributes().put(new Attributes.Name("Bundle-Version"), version));
    }

    /** The jar with {@code change} applied to its manifest, everything else as it is. */
    static byte[] withManifest(byte[] jar, java.util.function.Consumer<Manifest> change) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar))) {
            Manifest m = new Manifest(in.getManifest());
            change.accept(m);
            try (JarOutputStream jo = new JarOutputStream(out, m)) {
                JarEntry e;
                while ((e = in.getNextJarEntry()) != null) {
                    jo.putNextEntry(new JarEntry(e.getName()));
                    in.transferTo(jo);
                    jo.closeEntry();
                }
            }
        }
        return out.toByteArray();
    }

    /** The bytes of the jar the bundle was installed from. */
    static byte[] jarOf(Bundle b) throws IOException {
        try (InputStream in = URI.create(b.getLocation()).toURL().openStream()) {
            return in.readAllBytes();
        }
    }

    /** A version one micro step above {@code v}, with an "upgrade" qualifier. */
    static String other(Version v) {
        return new Version(v.getMajor(), v.getMinor(), v.getMicro() + 1, "upgrade").toString();
    }
}
