package dev.ember.log;

/**
 * Where Ember's code gets its {@link System.Logger}. Not from {@link System#getLogger}: the JDK's
 * first call looks for a LoggerFinder service over the whole class path (every jar opened and
 * its central directory parsed, interpreted: 12-15 ms of CPU before the API is ready), and
 * java.util.logging's set-up does it again. Lines go to the {@link LogSink} the process installs
 * (api-server's Logging); until one is (unit tests, tools) they go to {@link System#getLogger}'s
 * logger of the same name, as before.
 */
public final class Log {
    private static volatile LogSink sink;
    /**
     * Tests only (surefire sets it): each line also goes to java.util.logging's logger of the
     * same name when that logger has handlers of its own (test-support's LogCapture), also once
     * a sink is installed.
     */
    static final boolean ALSO_JUL = Boolean.getBoolean("ember.log.jul");

    private Log() {}

    /** The logger named after {@code source}'s class, as System.getLogger(source.getName()) was. */
    public static System.Logger logger(Class<?> source) {
        return new EmberLogger(source.getName());
    }

    public static System.Logger logger(String name) {
        return new EmberLogger(name);
    }

    /** Sends every logger's lines to {@code s} from now on (null: back to System.getLogger's). */
    public static void install(LogSink s) {
        sink = s;
    }

    static LogSink sink() {
        return sink;
    }

    private static final StackWalker WALKER = StackWalker.getInstance();

    /**
     * The frame of the code that logged the line being published: the first frame below the
     * logging classes' frames (this package's loggers, System.Logger's default methods, the
     * jboss-logging API Undertow and XNIO log through and its generated message loggers, the JDK's
     * loggers and api-server's bridges from them). For a sink's --show-log-origin; null when the
     * line was not logged through them.
     */
    public static StackWalker.StackFrame caller() {
        return WALKER.walk(frames -> frames.dropWhile(f -> !isLoggingFrame(f.getClassName()))
                .dropWhile(f -> isLoggingFrame(f.getClassName())).findFirst()).orElse(null);
    }

    private static boolean isLoggingFrame(String cls) {
        return cls.equals("dev.ember.log.EmberLogger") || cls.equals("dev.ember.log.RateLimitedLog")
                || cls.equals("java.lang.System$Logger") || cls.startsWith("dev.ember.logging.Jboss")
                || cls.startsWith("dev.ember.logging.Jdk") || cls.equals("org.jboss.logging.Logger")
                || cls.equals("org.jboss.logging.DelegatingBasicLogger") || cls.contains("_$logger")
                || cls.startsWith("java.util.logging.") || cls.startsWith("sun.util.logging.")
                || cls.startsWith("jdk.internal.logger.");
    }
}
