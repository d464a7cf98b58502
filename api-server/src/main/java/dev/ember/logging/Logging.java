package dev.ember.logging;

import dev.ember.config.ConfigException;
import dev.ember.config.LogLevel;
import dev.ember.config.LoggerConfig;
import dev.ember.metrics.Counter;
import dev.ember.metrics.Metrics;
import dev.ember.sys.SharedTerminal;
import java.io.PrintStream;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The process's log backend: all code logs through {@link System.Logger}, which the JDK maps
 * to java.util.logging; this class owns JUL's root logger, its level and its one handler.
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
    private static EmberHandler handler;

    private Logging() {}

    /** Installs the handler on stderr at Info with the default format; called first by the CLI. */
    public static synchronized void init(String id) {
        instanceId = id;
        level = LogLevel.Info;
        showLevel = false;
        showOrigin = false;
        module = null;
        close();
        LogManager.getLogManager().reset();
        SharedTerminal.stdio(); // sees what stdin/stdout/stderr are now, before seccomp
        handler = new EmberHandler();
        Logger root = Logger.getLogger("");
        root.addHandler(handler);
        apply();
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
        Level jul = julLevel(level);
        Logger.getLogger("").setLevel(jul);
        handler.setLevel(jul);
        handler.format = new LogFormat(instanceId, showLevel, showOrigin);
        handler.module = module;
        handler.sink = sink;
    }

    static Level julLevel(LogLevel l) {
        return switch (l) {
            case Off -> Level.OFF;
            case Error -> Level.SEVERE;
            case Warning -> Level.WARNING;
            case Info -> Level.INFO;
            case Debug -> Level.FINE;
            case Trace -> Level.ALL;
        };
    }

    /** Formats on the logging thread (so the thread name is right) and writes without blocking. */
    private static final class EmberHandler extends Handler {
        volatile LogFormat format = new LogFormat("anonymous-instance", false, false);
        volatile NonBlockingSink sink;
        volatile String module;
        private final PrintStream stderr = System.err;

        @Override
        public void publish(LogRecord r) {
            if (!isLoggable(r)) {
                return;
            }
            String m = module;
            if (m != null && (r.getLoggerName() == null || !r.getLoggerName().startsWith(m))) {
                return;
            }
            try {
                String line = format.format(r, Thread.currentThread().getName());
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

        @Override
        public void flush() {
            stderr.flush();
        }

        @Override
        public void close() {
            // The sink is closed by Logging.close(); the handler itself holds nothing.
        }
    }
}
