package dev.ember.app;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The build's version (from Maven: the jar's manifest, or a filtered resource). */
public final class EmberVersion {
    public static final String APP_NAME = "Ember";
    public static final String VERSION = load();
    /**
     * The Firecracker release whose API and configuration file Ember follows (its sections,
     * pmem and memory-hotplug included). Clients that check a
     * Firecracker version (Kata Containers needs at least 0.21.1) read this one.
     */
    public static final String FIRECRACKER_API_VERSION = "1.14.0";

    private EmberVersion() {}

    /**
     * The api-server jar's Implementation-Version (its package's, which the JVM, and the AOT cache,
     * take from the manifest as the class is defined); from classes not in a jar (the module's own
     * tests), the filtered resource.
     */
    private static String load() {
        String fromJar = EmberVersion.class.getPackage().getImplementationVersion();
        if (fromJar != null) {
            return fromJar;
        }
        try (InputStream in = EmberVersion.class.getResourceAsStream("ember-version.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version");
                if (v != null && !v.startsWith("${")) {
                    return v;
                }
            }
        } catch (IOException e) {
            // Fall through to the unknown version below.
        }
        return "unknown";
    }
}
