package dev.ember.logging;

import dev.ember.config.ConfigException;
import dev.ember.config.LogLevel;
import dev.ember.config.LoggerConfig;
import dev.ember.log.Log;
import dev.ember.metrics.Counter;
import dev.ember.metrics.Metrics;
import dev.ember.sys.SharedTerminal;
import dev.ember.log.LogSink;
import java.io.PrintStream;
import java.time.Instant;

/**
 * The process's log backend: all code logs through {@link System.Logger}s from {@link Log}
 * (Undertow and XNIO through jboss-logging's {@link JbossLogProvider}), whose lines this class
 * levels, filters, formats and writes. java.util.logging is not used: its set-up, like
 * System.getLogger's first call, scans the whole class path for a logging service (12-15 ms of
 * CPU before the API is ready).
 * Output goes to stderr until a log path is configured (--log-path or PUT /logger), never to
 * stdout (the guest's console); where stderr and stdout are one terminal, {@link SharedTerminal}
 * keeps log lines and console lines apart.
 */
public final class Logging {
    private static final Counter MISSED = Metrics.group("logger").counter("missed_log_count");
    private static final Counter FAILS = Metrics.group("logger").counter("log_fails");

    private static String instanceId = "anonymous-instance";
    private static LogLevel level = LogLevel.Info;
    private static boolean showLevel;
    private static boolean showOrigin;
    private static String module;
    private static NonBlockingSink sink;
    private static EmberSink handler;

    private Logging() {}

    /** Installs the handler on stderr at Info with the default format; called first by the CLI. */
    public static synchronized void init(String id) {
        instanceId = id;
        level = LogLevel.Info;
        showLevel = false;
        showOrigin = false;
        module = null;
        close();
        SharedTerminal.stdio(); // sees what stdin/stdout/stderr are now, before seccomp
        handler = new EmberSink();
        apply();
        Log.install(handler);
    }

    /** Applies a logger section: the fields given change, the others keep their value. */
    public static synchronized void configure(LoggerConfig config) throws ConfigException {
        if (handler == null) {
            init(instanceId);
        }
        NonBlockingSink newSink = null;
        if (config.logPath() != null) {
            try {
                newSink = NonBlockingSink.open(config.logPath(), MISSED);
            } catch (NonBlockingSink.SinkException e) {
                throw new ConfigException(ConfigException.Reason.FILE, "logger.log_path: " + e.getMessage()
                        + "; give a writable file or a FIFO (mkfifo)");
            }
        }
        if (newSink != null) {
            if (sink != null) {
                sink.close();
            }
            sink = newSink;
        }
        if (config.level() != null) {
            level = config.level();
        }
        if (config.showLevel() != null) {
            showLevel = config.showLevel();
        }
        if (config.showLogOrigin() != null) {
            showOrigin = config.showLogOrigin();
        }
        if (config.module() != null) {
            module = config.module();
        }
        apply();
    }

    public static synchronized LogLevel level() {
        return level;
    }

    /** True while log lines go to stderr (no log path configured), where the CLI's own messages go too. */
    public static synchronized boolean logsToStderr() {
        return sink == null;
    }

    /** Closes a configured log file (at exit). */
    public static synchronized void close() {
        if (sink != null) {
            sink.close();
            sink = null;
        }
    }

    private static void apply() {
        handler.threshold = threshold(level);
        handler.format = new LogFormat(instanceId, showLevel, showOrigin);
        handler.module = module;
        handler.sink = sink;
    }

    /** The least severity written at {@code l}: Firecracker's levels on System.Logger's scale. */
    static int threshold(LogLevel l) {
        return switch (l) {
            case Off -> Integer.MAX_VALUE;
            case Error -> System.Logger.Level.ERROR.getSeverity();
            case Warning -> System.Logger.Level.WARNING.getSeverity();
            case Info -> System.Logger.Level.INFO.getSeverity();
            case Debug -> System.Logger.Level.DEBUG.getSeverity();
            case Trace -> Integer.MIN_VALUE;
        };
    }

    /** Formats on the logging thread (so the thread name and origin are right) and writes without blocking. */
    private static final class EmberSink implements LogSink {
        volatile int threshold = System.Logger.Level.INFO.getSeverity();
        volatile LogFormat format = new LogFormat("anonymous-instance", false, false);
        volatile NonBlockingSink sink;
        volatile String module;
        private final PrintStream stderr = System.err;

        @Override
        public boolean isLoggable(String logger, System.Logger.Level level) {
            if (level == System.Logger.Level.OFF || level.getSeverity() < threshold) {
                return false;
            }
            String m = module;
            return m == null || logger.startsWith(m);
        }

        @Override
        public void publish(String logger, System.Logger.Level level, String message, Throwable thrown) {
            try {
                String line = format.format(Instant.now(), level, message, thrown, Thread.currentThread().getName(), logger);
                NonBlockingSink s = sink;
                if (s != null) {
                    s.write(line);
                } else {
                    SharedTerminal.stdio().writeLog(stderr, line);
                }
            } catch (RuntimeException e) {
                FAILS.inc();
            }
        }
    }
}
