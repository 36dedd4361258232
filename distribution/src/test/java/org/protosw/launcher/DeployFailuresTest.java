package org.protosw.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DeployFailuresTest {

    private final Path jar = Path.of("/opt/protosw/deploy/org.protosw.udp.jar");

    @Test
    void startFailureNamesTheBundleByLocation() {
        DeployFailures failures = new DeployFailures();
        failures.add("Error while starting bundle: file:/opt/protosw/deploy/org.protosw.udp.jar");
        assertThat(failures.mentions(jar)).isTrue();
        assertThat(failures.mentions(Path.of("/opt/protosw/deploy/org.protosw.tcp.jar"))).isFalse();
    }

    @Test
    void installFailureNamesTheFileByPath() {
        DeployFailures failures = new DeployFailures();
        failures.add("Failed to install artifact: /opt/protosw/deploy/org.protosw.udp.jar");
        assertThat(failures.mentions(jar)).isTrue();
    }

    @Test
    void nothingReportedMentionsNothing() {
        assertThat(new DeployFailures().mentions(jar)).isFalse();
    }
}
