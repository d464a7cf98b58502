package dev.ember.logging;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.logging.LogManager;

/**
 * java.util.logging's configuration in the VMM ({@code java.util.logging.config.class}, set by
 * the CLI's main): the JDK's own loggers (e.g. Runtime.exit's) reach Ember's log through
 * {@link JdkLogHandler}, as they did when java.util.logging was Ember's back-end. Ember no longer
 * sets java.util.logging up; this runs only if the JDK does, which is after the API is ready.
 */
public final class JdkLogConfig {
    public JdkLogConfig() throws IOException {
        // Every level passes java.util.logging; Ember's sink decides, at the level it has then.
        String config = "handlers=" + JdkLogHandler.class.getName() + "\n.level=ALL\n";
        LogManager.getLogManager().readConfiguration(new ByteArrayInputStream(config.getBytes(StandardCharsets.ISO_8859_1)));
    }
}
