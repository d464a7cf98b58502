package dev.ember.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The config-file reader ({@code --config-file}) on arbitrary bytes: it either builds
 * {@link VmResources} or throws a {@link ConfigException} (which the CLI turns into exit 152 with
 * the field named); any other exception is a finding (it would be an "internal error" exit).
 */
class ConfigFileFuzzTest {
    private static Path file;

    private static synchronized Path file() {
        if (file == null) {
            try {
                file = Files.createTempFile("ember-config-fuzz", ".json");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return file;
    }

    /** Entry point for Jazzer's own launcher (the long run in docs/testing.md). */
    public static void fuzzerTestOneInput(byte[] config) throws IOException {
        new ConfigFileFuzzTest().configFile(config);
    }

    @FuzzTest(maxDuration = "5s")
    void configFile(byte[] config) throws IOException {
        Path f = file();
        Files.write(f, config);
        try {
            VmResources.fromConfigFile(f);
        } catch (ConfigException expected) {
            // The answer for a bad file: exit 152 naming the field.
        }
    }
}
