package org.protosw.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/** The rule that keeps a kit test on its own build's jars. */
class BundleJarsTest {
    private static final Path REPO = Path.of(System.getProperty("user.home"), ".m2", "repository");

    @Test
    void aSnapshotFromTheLocalRepositoryIsRefused() {
        Path stale = REPO.resolve("org/protosw/framework/1.0.0-SNAPSHOT/framework-1.0.0-SNAPSHOT.jar");
        assertThatThrownBy(() -> BundleJars.checkedFresh(stale)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("SNAPSHOT from the local Maven repository").hasMessageContaining("-am");
    }

    @Test
    void aSnapshotInAModulesTargetAndAReleaseFromTheRepositoryAreTaken() {
        Path fresh = Path.of("../framework/target/framework-1.0.0-SNAPSHOT.jar");
        assertThat(BundleJars.checkedFresh(fresh)).isEqualTo(fresh.toAbsolutePath().normalize());
        Path release = REPO.resolve("org/apache/felix/org.apache.felix.scr/2.2.12/org.apache.felix.scr-2.2.12.jar");
        assertThat(BundleJars.checkedFresh(release)).isEqualTo(release.toAbsolutePath().normalize());
    }
}
