package org.protosw.launcher;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.osgi.framework.Constants;

/**
 * The framework's configuration: built-in defaults, then etc/config.properties (where a user
 * tunes them), then what the launch itself decides (storage, exports, log bridge).
 */
final class FrameworkSettings {

    static final String CONFIG_FILE = "config.properties";
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([^}]+)}");

    private FrameworkSettings() {
    }

    /**
     * @param storage the framework storage folder, emptied at init
     */
    static Map<String, Object> build(Layout layout, Path storage) throws IOException {
        Map<String, String> variables = Map.of(
                Layout.HOME_PROPERTY, layout.home().toString(),
                Layout.DATA_PROPERTY, layout.data().toString());

        Map<String, Object> settings = new HashMap<>();
        settings.put("felix.log.level", "2");
        // etc/: configuration for Config Admin; the deploy/ watcher is itself configured there
        // (etc/org.apache.felix.fileinstall-deploy.cfg), as Karaf does
        settings.put("felix.fileinstall.dir", layout.etc().toString());
        settings.put("felix.fileinstall.filter", ".*\\.cfg");
        settings.put("felix.fileinstall.poll", "1000");
        settings.put("felix.fileinstall.noInitialDelay", "true");
        settings.put("felix.fileinstall.log.level", "3");
        // FileInstall prints to stdout, stack traces included, unless told to use j.u.l.,
        // which the launcher sends to the log file
        settings.put("felix.fileinstall.log.default", "jul");
        // etc/ is read, never written: FileInstall would otherwise write each configuration
        // change back into its .cfg, from every one-shot run too, and a run that exits during
        // the write leaves the file truncated. Runtime changes are kept by Config Admin itself
        // (felix.cm.dir below); a .cfg file in etc/ is the administrator's and wins when edited.
        settings.put("felix.fileinstall.enableConfigSave", "false");
        settings.put("felix.fileinstall.tmpdir", storage.resolve("fileinstall-tmp").toString());
        // Config Admin keeps what the shell changes (net:sysctl, ...) in data/config, outside
        // the framework storage that is emptied at each start: changes survive restarts.
        settings.put("felix.cm.dir", layout.data().resolve("config").toString());

        for (Map.Entry<String, String> entry : readConfigFile(layout.etc().resolve(CONFIG_FILE)).entrySet()) {
            settings.put(entry.getKey(), substitute(entry.getValue(), variables));
        }

        settings.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        settings.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        Object userExtra = settings.get(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA);
        String extra = SystemPackages.extra();
        if (userExtra != null && !userExtra.toString().isBlank()) {
            extra = extra + "," + userExtra;
        }
        settings.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, extra);
        settings.put("felix.log.logger", new FelixLog());
        settings.putAll(variables);
        return settings;
    }

    static Map<String, String> readConfigFile(Path file) throws IOException {
        Map<String, String> entries = new HashMap<>();
        if (!Files.isRegularFile(file)) {
            return entries;
        }
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        }
        for (String name : properties.stringPropertyNames()) {
            entries.put(name, properties.getProperty(name).strip());
        }
        return entries;
    }

    /** Replaces {@code ${name}} by the launch variables, then by system properties; unknown ones stay. */
    static String substitute(String value, Map<String, String> variables) {
        Matcher matcher = VARIABLE.matcher(value);
        StringBuilder result = new StringBuilder();
        while (matcher.find()) {
            String name = matcher.group(1);
            String replacement = variables.getOrDefault(name, System.getProperty(name));
            matcher.appendReplacement(result, Matcher.quoteReplacement(replacement == null ? matcher.group() : replacement));
        }
        matcher.appendTail(result);
        return result.toString();
    }
}
