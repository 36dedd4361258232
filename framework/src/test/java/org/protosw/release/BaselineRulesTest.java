package org.protosw.release;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.lang.classfile.Annotation;
import java.lang.classfile.AnnotationElement;
import java.lang.classfile.AnnotationValue;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.MethodModel;
import java.lang.classfile.attribute.RuntimeInvisibleAnnotationsAttribute;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.Manifest;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import aQute.bnd.differ.Baseline;
import aQute.bnd.differ.Baseline.Info;
import aQute.bnd.differ.DiffPluginImpl;
import aQute.bnd.osgi.EmbeddedResource;
import aQute.bnd.osgi.Jar;
import aQute.bnd.osgi.Processor;
import aQute.bnd.osgi.Resource;
import aQute.bnd.service.diff.Delta;
import aQute.bnd.service.diff.Diff;
import aQute.bnd.version.Version;

/**
 * The README's compatibility rules, checked the way the build checks them: bnd's baseline
 * (the bndlib the bnd-baseline-maven-plugin runs) compares the core jar of release 1.0.0,
 * read from {@code release/repo} in this tree, with a copy of it changed here, class file by
 * class file (no compiler: the JDK's class-file API adds or drops one method and sets the
 * package version in the manifest and in {@code package-info.class}, as a rebuilt jar would
 * carry it). Each case names what a module author could do and whether the build lets it
 * pass: an abstract method added to a consumer type fails unless the major goes up, and the
 * failure names {@code org.protosw.spi} and the version it asks for (2.0.0); a default method
 * on a consumer type, or a method on a provider type, passes with a minor bump.
 */
class BaselineRulesTest {
    private static final String SPI = "org.protosw.spi";
    /** A consumer type: third parties implement it. */
    private static final String NET_MODULE = "org/protosw/spi/NetModule.class";
    /** A provider type: the core implements it. */
    private static final String PROTO_CONTEXT = "org/protosw/spi/ProtoContext.class";
    private static final String PACKAGE_INFO = "org/protosw/spi/package-info.class";

    private Processor reporter;
    private Jar released;

    @BeforeEach
    void openRelease() throws Exception {
        reporter = new Processor();
        released = new Jar(releasedCore());
    }

    @AfterEach
    void close() throws Exception {
        released.close();
        reporter.close();
    }

    /** The core jar as released: release/repo's copy, never one from a local Maven repository. */
    static File releasedCore() {
        String repo = System.getProperty("protosw.release.repo");
        String version = System.getProperty("protosw.baseline.version");
        assertThat(repo).as("protosw.release.repo (set by the framework pom)").isNotNull();
        assertThat(version).as("protosw.baseline.version (set by the root pom)").isNotNull();
        Path jar = Path.of(URI.create(repo)).resolve("org/protosw/framework/" + version + "/framework-" + version + ".jar");
        assertThat(jar).as("the released core jar").isRegularFile();
        return jar.toFile();
    }

    @Test
    void theReleaseItselfPasses() throws Exception {
        try (Jar copy = copyOfRelease()) {
            Info spi = baseline(copy);
            assertThat(spi.mismatch).isFalse();
            assertThat(spi.newerVersion).isEqualTo(spi.olderVersion);
        }
    }

    @Test
    void anAbstractMethodOnAConsumerTypeWithoutAMajorVersionFails() throws Exception {
        try (Jar changed = copyOfRelease()) {
            transform(changed, NET_MODULE, addAbstractMethod("brokenOnPurpose"));
            Info spi = baseline(changed);
            assertThat(spi.mismatch).as("baseline mismatch for " + SPI).isTrue();
            assertThat(spi.packageName).isEqualTo(SPI);
            assertThat(spi.newerVersion).isEqualTo(new Version(1, 2, 0));
            assertThat(spi.suggestedVersion).as("the version the baseline asks for").isEqualTo(new Version(2, 0, 0));
            assertThat(failure(spi)).isEqualTo("org.protosw.spi: version 1.2.0, the change needs 2.0.0");
            Diff netModule = spi.packageDiff.get("org.protosw.spi.NetModule");
            assertThat(netModule).as("the diff names the interface").isNotNull();
            assertThat(netModule.getDelta()).isEqualTo(Delta.MAJOR);
            assertThat(netModule.get("brokenOnPurpose()").getDelta()).isEqualTo(Delta.ADDED);
        }
    }

    @Test
    void aMinorBumpDoesNotCoverAnAbstractMethodOnAConsumerType() throws Exception {
        try (Jar changed = copyOfRelease()) {
            transform(changed, NET_MODULE, addAbstractMethod("brokenOnPurpose"));
            setSpiVersion(changed, "1.3.0");
            Info spi = baseline(changed);
            assertThat(spi.mismatch).isTrue();
            assertThat(failure(spi)).isEqualTo("org.protosw.spi: version 1.3.0, the change needs 2.0.0");
        }
    }

    @Test
    void anAbstractMethodOnAConsumerTypeWithAMajorVersionPasses() throws Exception {
        try (Jar changed = copyOfRelease()) {
            transform(changed, NET_MODULE, addAbstractMethod("brokenOnPurpose"));
            setSpiVersion(changed, "2.0.0");
            assertThat(baseline(changed).mismatch).isFalse();
        }
    }

    @Test
    void aDefaultMethodOnAConsumerTypeWithAMinorBumpPasses() throws Exception {
        try (Jar changed = copyOfRelease()) {
            transform(changed, NET_MODULE, addDefaultMethod("optionalHook"));
            setSpiVersion(changed, "1.3.0");
            Info spi = baseline(changed);
            assertThat(spi.mismatch).as(failure(spi)).isFalse();
            assertThat(spi.suggestedVersion).isEqualTo(new Version(1, 3, 0));
        }
    }

    @Test
    void aDefaultMethodOnAConsumerTypeWithoutABumpFails() throws Exception {
        try (Jar changed = copyOfRelease()) {
            transform(changed, NET_MODULE, addDefaultMethod("optionalHook"));
            Info spi = baseline(changed);
            assertThat(spi.mismatch).isTrue();
            assertThat(failure(spi)).isEqualTo("org.protosw.spi: version 1.2.0, the change needs 1.3.0");
        }
    }

    @Test
    void aMethodOnAProviderTypeWithAMinorBumpPasses() throws Exception {
        try (Jar changed = copyOfRelease()) {
            transform(changed, PROTO_CONTEXT, addAbstractMethod("newCoreService"));
            setSpiVersion(changed, "1.3.0");
            Info spi = baseline(changed);
            assertThat(spi.mismatch).as(failure(spi)).isFalse();
        }
    }

    @Test
    void removingAMethodFromAProviderTypeNeedsAMajor() throws Exception {
        try (Jar changed = copyOfRelease()) {
            transform(changed, PROTO_CONTEXT, ClassTransform.dropping(e -> e instanceof MethodModel m && m.methodName().equalsString("vnet")));
            setSpiVersion(changed, "1.3.0");
            Info spi = baseline(changed);
            assertThat(spi.mismatch).isTrue();
            assertThat(failure(spi)).isEqualTo("org.protosw.spi: version 1.3.0, the change needs 2.0.0");
        }
    }

    /** One line as a build log would say it: the package, the version it has, the one it needs. */
    private static String failure(Info info) {
        return info.packageName + ": version " + info.newerVersion + ", the change needs " + info.suggestedVersion;
    }

    private Info baseline(Jar newer) throws Exception {
        Baseline baseline = new Baseline(reporter, new DiffPluginImpl());
        Set<Info> infos = baseline.baseline(newer, released, null);
        assertThat(reporter.getErrors()).as("bnd errors").isEmpty();
        return infos.stream().filter(i -> SPI.equals(i.packageName)).findFirst()
                .orElseThrow(() -> new AssertionError("no baseline information for " + SPI + ": " + infos));
    }

    private Jar copyOfRelease() throws Exception {
        Path copy = Files.createTempFile("framework-changed", ".jar");
        copy.toFile().deleteOnExit();
        Files.copy(releasedCore().toPath(), copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return new Jar(copy.toFile());
    }

    private static void transform(Jar jar, String path, ClassTransform transform) throws Exception {
        Resource r = jar.getResource(path);
        assertThat(r).as(path + " in the released jar").isNotNull();
        byte[] bytes;
        try (var in = r.openInputStream()) {
            bytes = in.readAllBytes();
        }
        ClassFile cf = ClassFile.of();
        ClassModel model = cf.parse(bytes);
        jar.putResource(path, new EmbeddedResource(cf.transformClass(model, transform), 0L));
    }

    private static ClassTransform addAbstractMethod(String name) {
        return ClassTransform.endHandler(cb -> cb.withMethod(name, MethodTypeDesc.of(ConstantDescs.CD_void),
                ClassFile.ACC_PUBLIC | ClassFile.ACC_ABSTRACT, mb -> { }));
    }

    private static ClassTransform addDefaultMethod(String name) {
        return ClassTransform.endHandler(cb -> cb.withMethodBody(name, MethodTypeDesc.of(ConstantDescs.CD_void),
                ClassFile.ACC_PUBLIC, code -> code.return_()));
    }

    /** The SPI package's version, where a rebuilt jar carries it: Export-Package and package-info's @Version. */
    private static void setSpiVersion(Jar jar, String version) throws Exception {
        Manifest m = new Manifest(jar.getManifest());
        Attributes main = m.getMainAttributes();
        String exports = main.getValue("Export-Package");
        String replaced = exports.replace(SPI + ";version=\"1.2.0\"", SPI + ";version=\"" + version + "\"");
        assertThat(replaced).as("Export-Package names " + SPI + " 1.2.0").isNotEqualTo(exports);
        main.putValue("Export-Package", replaced);
        jar.setManifest(m);
        transform(jar, PACKAGE_INFO, (cb, e) -> {
            if (e instanceof RuntimeInvisibleAnnotationsAttribute a) {
                cb.with(RuntimeInvisibleAnnotationsAttribute.of(a.annotations().stream()
                        .map(an -> withVersion(an, version)).toList()));
            } else {
                cb.with(e);
            }
        });
    }

    private static Annotation withVersion(Annotation an, String version) {
        if (!an.className().equalsString("Lorg/osgi/annotation/versioning/Version;")) {
            return an;
        }
        return Annotation.of(an.classSymbol(), AnnotationElement.of("value", AnnotationValue.ofString(version)));
    }
}
