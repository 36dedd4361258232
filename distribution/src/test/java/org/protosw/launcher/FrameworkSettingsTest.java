package org.protosw.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FrameworkSettingsTest {

    @TempDir
    Path home;

    private Layout layout() throws Exception {
        Files.createDirectories(home.resolve("bundle"));
        Files.createDirectories(home.resolve("etc"));
        return new Layout(home, home.resolve("data"));
    }

    @Test
    void substitutesLaunchVariablesAndLeavesUnknownOnes() {
        Map<String, String> variables = Map.of("protosw.home", "/opt/protosw");
        assertThat(FrameworkSettings.substitute("${protosw.home}/deploy and ${no.such.variable}", variables))
                .isEqualTo("/opt/protosw/deploy and ${no.such.variable}");
    }

    @Test
    void storageIsEmptiedAtEachStartAndSlf4jIsExported() throws Exception {
        Map<String, Object> settings = FrameworkSettings.build(layout(), home.resolve("cache"));
        assertThat(settings)
                .containsEntry("org.osgi.framework.storage", home.resolve("cache").toString())
                .containsEntry("org.osgi.framework.storage.clean", "onFirstInit")
                .containsEntry("felix.fileinstall.dir", home.resolve("etc").toString())
                .containsEntry("felix.fileinstall.enableConfigSave", "false");
        String exports = (String) settings.get("org.osgi.framework.system.packages.extra");
        String version = org.slf4j.LoggerFactory.class.getPackage().getImplementationVersion();
        assertThat(exports).contains("org.slf4j;").contains("org.slf4j.spi;").contains("org.slf4j.event;")
                .contains("org.slf4j.helpers;").contains("version=\"" + version + "\"");
        assertThat(settings.get("felix.log.logger")).isInstanceOf(FelixLog.class);
    }

    @Test
    void configFileOverridesDefaultsAndAddsExports() throws Exception {
        Layout layout = layout();
        Files.writeString(layout.etc().resolve("config.properties"), """
                felix.fileinstall.poll = 250
                org.osgi.framework.system.packages.extra = com.example.api;version=1.0
                my.folder = ${protosw.home}/var
                """);
        Map<String, Object> settings = FrameworkSettings.build(layout, home.resolve("cache"));
        assertThat(settings)
                .containsEntry("felix.fileinstall.poll", "250")
                .containsEntry("my.folder", home + "/var");
        assertThat((String) settings.get("org.osgi.framework.system.packages.extra"))
                .startsWith("org.slf4j").endsWith(",com.example.api;version=1.0");
    }

    @Test
    void configFileCannotMoveTheStorage() throws Exception {
        Layout layout = layout();
        Files.writeString(layout.etc().resolve("config.properties"), "org.osgi.framework.storage = /elsewhere\n");
        assertThat(FrameworkSettings.build(layout, home.resolve("cache")))
                .containsEntry("org.osgi.framework.storage", home.resolve("cache").toString());
    }
}
