package org.protosw.release;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The release repository in the tree is what the baseline compares with, so it must be intact,
 * and Maven must not compare with something else. Maven's resolver copies what it takes from
 * {@code release/repo} into the local repository (~/.m2) and reads the copy from then on; a jar
 * with the same coordinates put there another way (an {@code mvn install} of a release tag by
 * hand) would be taken instead of the tree's. This test fails the build, naming the file, when
 * the local repository holds a jar of a released version that differs from the tree's.
 * (The framework's tests run before any module's baseline in the reactor.)
 */
class ReleaseRepositoryTest {

    private static Path releaseRepo() {
        String repo = System.getProperty("protosw.release.repo");
        assertThat(repo).as("protosw.release.repo (set by the framework pom)").isNotNull();
        return Path.of(URI.create(repo));
    }

    private static List<Path> releasedJars() throws IOException {
        try (Stream<Path> files = Files.walk(releaseRepo())) {
            return files.filter(f -> f.getFileName().toString().endsWith(".jar")).sorted().toList();
        }
    }

    @Test
    void everyReleasedJarMatchesItsChecksum() throws Exception {
        List<Path> jars = releasedJars();
        assertThat(jars).as("released jars in " + releaseRepo()).isNotEmpty();
        for (Path jar : jars) {
            Path sha1 = Path.of(jar + ".sha1");
            assertThat(sha1).as("checksum of " + jar).isRegularFile();
            assertThat(sha1(jar)).as(jar + " against its .sha1").isEqualTo(Files.readString(sha1).strip());
        }
    }

    @Test
    void theLocalRepositoryHoldsNoOtherCopyOfAReleasedJar() throws Exception {
        String local = System.getProperty("protosw.local.repo");
        assertThat(local).as("protosw.local.repo (set by the framework pom)").isNotNull();
        Path repo = releaseRepo();
        for (Path jar : releasedJars()) {
            Path copy = Path.of(local).resolve(repo.relativize(jar).toString());
            if (Files.isRegularFile(copy)) {
                assertThat(sha1(copy))
                        .as("%s differs from the released %s: the baseline would compare with it; delete %s", copy, jar, copy.getParent())
                        .isEqualTo(sha1(jar));
            }
        }
    }

    private static String sha1(Path file) throws IOException, NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(Files.readAllBytes(file)));
    }
}
