package dev.ember.cli;

import dev.ember.app.EmberVersion;
import dev.ember.app.KvmMicroVm;
import dev.ember.app.MicroVm;
import dev.ember.config.LogLevel;
import dev.ember.log.Log;
import dev.ember.logging.Logging;
import dev.ember.sys.InstanceId;
import dev.ember.vm.ExitCode;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The {@code ember} command line, option for option Firecracker's. Argument mistakes exit 153
 * (ArgParsing) and configuration mistakes 152 (BadConfiguration), each with one clear line on
 * stderr and no stack trace. The run itself is {@link EmberRun}.
 */
@Command(name = "ember", versionProvider = Main.Version.class, sortOptions = false,
        description = "Runs one KVM microVM, configured through a Firecracker-compatible REST API on a Unix socket"
                + " and/or a Firecracker-style JSON configuration file.",
        footer = {"", "Stopping a microVM: Ctrl-A then x on the console's terminal (see --console-escape);"
                + " SIGTERM or SIGINT from elsewhere (kill PID); or the guest powering off. Each exits 0."})
public final class Main implements Callable<Integer> {
    static final String DEFAULT_CONSOLE_ESCAPE = "^A";

    @Spec
    CommandSpec spec;

    @Option(names = "--api-sock", paramLabel = "PATH", description = "Unix socket for the REST API (default: ${DEFAULT-VALUE}).")
    Path apiSock = Path.of("/run/ember.socket");

    @Option(names = "--config-file", paramLabel = "PATH", description = "JSON configuration to apply and boot at start.")
    Path configFile;

    @Option(names = "--no-api", description = "Serve no API; needs --config-file, which then is the only configuration.")
    boolean noApi;

    @Option(names = "--id", paramLabel = "ID", description = "MicroVM id: letters, digits and '-', at most 64 characters (default: ${DEFAULT-VALUE}).")
    String id = "anonymous-instance";

    @Option(names = "--level", paramLabel = "LEVEL", converter = LevelConverter.class,
            description = "Log level: Error, Warning, Info, Debug, Trace or Off (default: Info).")
    LogLevel level;

    @Option(names = "--log-path", paramLabel = "PATH", description = "Write the log to this file or FIFO instead of stderr.")
    String logPath;

    @Option(names = "--show-level", description = "Show the level in each log line.")
    boolean showLevel;

    @Option(names = "--show-log-origin", description = "Show the source file and line that logged each line.")
    boolean showLogOrigin;

    @Option(names = "--metrics-path", paramLabel = "PATH", description = "Write metrics (one JSON object per line) to this file or FIFO.")
    String metricsPath;

    @Option(names = "--enable-pci", description = "Put the virtio devices on a PCI bus (ECAM, MSI-X) instead of virtio-mmio.")
    boolean enablePci;

    @Option(names = "--boot-timer", description = "Log the time from VMM start to the guest's boot-timer signal.")
    boolean bootTimer;

    @Option(names = "--http-api-max-payload-size", paramLabel = "BYTES",
            description = "Largest accepted API request body (default: ${DEFAULT-VALUE}).")
    int maxPayload = 51200;

    @Option(names = "--mmds-size-limit", paramLabel = "BYTES", description = "Largest MMDS data store (default: the API payload limit).")
    Integer mmdsSizeLimit;

    @Option(names = "--metadata", paramLabel = "PATH", description = "JSON file with the initial MMDS contents.")
    Path metadata;

    @Option(names = "--no-seccomp", description = "Do not confine the process with seccomp (for debugging).")
    boolean noSeccomp;

    @Option(names = "--seccomp-filter", paramLabel = "FILE", description = "Use this seccomp filter (JSON) instead of the built-in one.")
    Path seccompFilter;

    @Option(names = "--console-escape", paramLabel = "KEY", converter = EscapeKeyConverter.class, defaultValue = Main.DEFAULT_CONSOLE_ESCAPE,
            description = {"When stdin is a terminal (the guest's console, raw: Ctrl-C goes to the guest), KEY then x"
                    + " stops the microVM (exit 0) and KEY twice sends KEY to the guest, as in QEMU."
                    + " KEY: ^A to ^Z, or none (default: ${DEFAULT-VALUE}). Input that is not a terminal always passes unchanged."})
    int consoleEscape;

    @Option(names = "--start-time-us", paramLabel = "US", hidden = true, description = "Process start (monotonic µs), set by the jailer.")
    Long startTimeUs;

    @Option(names = "--start-time-cpu-us", paramLabel = "US", hidden = true, description = "Process CPU time at start (µs), set by the jailer.")
    Long startTimeCpuUs;

    @Option(names = "--parent-cpu-time-us", paramLabel = "US", hidden = true, description = "The jailer's CPU time (µs).")
    Long parentCpuTimeUs;

    @Option(names = {"-V", "--version"}, versionHelp = true, description = "Print the version and exit.")
    boolean version;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Print this help and exit.")
    boolean help;

    /** Where the machine comes from: this composition root builds the KVM one; tests pass a double. */
    private final Supplier<MicroVm> vmmFactory;
    private final boolean installSignalHandlers;

    public Main() {
        this(KvmMicroVm::new, true);
    }

    Main(Supplier<MicroVm> vmmFactory, boolean installSignalHandlers) {
        this.vmmFactory = vmmFactory;
        this.installSignalHandlers = installSignalHandlers;
    }

    @Override
    public Integer call() {
        String problem = problem();
        if (problem != null) {
            throw PicocliRun.usageError(spec, problem);
        }
        return runVmm();
    }

    /** What is wrong with this combination of options, or null. */
    String problem() {
        if (!InstanceId.isValid(id)) {
            return "Invalid instance ID: --id '" + id + "' must be 1 to 64 letters, digits or '-'";
        }
        if (noApi && configFile == null) {
            return "--no-api needs --config-file: without the API the configuration must come from a file";
        }
        if (maxPayload <= 0) {
            return "--http-api-max-payload-size must be a positive number of bytes, not " + maxPayload;
        }
        if (mmdsSizeLimit != null && mmdsSizeLimit <= 0) {
            return "--mmds-size-limit must be a positive number of bytes, not " + mmdsSizeLimit;
        }
        if (noSeccomp && seccompFilter != null) {
            return "--no-seccomp and --seccomp-filter exclude each other; give one";
        }
        return null;
    }

    private int runVmm() {
        // Before EmberRun's class set-up, whose logger's first use scans the class path (~20 ms).
        SetUpAhead ahead = SetUpAhead.begin(!noSeccomp && seccompFilter == null, !noApi);
        return new EmberRun(this, vmmFactory, installSignalHandlers, ahead).run();
    }

    /** A Main with the same VMM source and no options set yet. */
    Main fresh() {
        return new Main(vmmFactory, installSignalHandlers);
    }

    /**
     * Parses {@code args} and runs; returns the process exit status. An ordinary valid command
     * line is read by {@link OrdinaryArgs} without picocli (whose class files predate the AOT
     * cache's format and cost ~100 ms to load and reflect on); everything else (help, version,
     * any mistake, anything unusual) goes to picocli, which gives the messages.
     */
    static int run(String[] args, Main main) {
        Main ordinary = OrdinaryArgs.parse(args, main);
        if (ordinary != null) {
            try {
                return ordinary.runVmm();
            } catch (RuntimeException e) {
                return internalError(e);
            }
        }
        return PicocliRun.run(args, main);
    }

    /** Only bugs get here: user errors are turned into exit codes inside EmberRun.run. */
    static int internalError(Exception ex) {
        System.err.println("ember: internal error: " + ex);
        if (!Logging.logsToStderr()) {
            Log.logger(Main.class).log(System.Logger.Level.ERROR, "internal error", ex);
        }
        return ExitCode.UNEXPECTED_ERROR.code();
    }

    public static void main(String[] args) {
        lookUpNothingOnTheClassPath();
        exitWithoutLogging(run(args, new Main()));
    }

    /**
     * Ends the process through {@code Runtime.halt}, not {@code exit}: since JDK 21 {@code exit}
     * asks {@code System.getLogger("java.lang.Runtime")}, whose first call looks for a
     * {@code LoggerFinder} service in every jar of the class path (~15 ms of CPU per VM stop; 10 VMs
     * stopped at once took twice as long to all exit: bench/README.md). What {@code exit} adds to
     * {@code halt} is the shutdown hooks, and this process has none: Ember registers none, nor does
     * any of its libraries, and {@link #run} returns only after the VMM's own shutdown (devices,
     * API, metrics and log closed). The standard streams are flushed here, as nothing else would.
     */
    static void exitWithoutLogging(int status) {
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(status);
    }

    /**
     * Before the API is ready nothing should read the class path's jars (with the AOT cache their
     * classes come from the cache): a look-up that misses reads every jar's directory, ~12-15 ms of
     * CPU (bench/README.md, "Start-up, session 10"). Two look-ups miss unless told otherwise:
     * NIO's SelectorProvider service (Linux has one provider, named here), and jboss-logging's
     * localised message classes for Undertow's and XNIO's loggers (none exist; a locale without
     * a language skips them) — which is also Firecracker's behaviour: output that does not
     * depend on the host's locale.
     */
    static void lookUpNothingOnTheClassPath() {
        if (System.getProperty("java.nio.channels.spi.SelectorProvider") == null) {
            System.setProperty("java.nio.channels.spi.SelectorProvider", "sun.nio.ch.EPollSelectorProvider");
        }
        java.util.Locale.setDefault(java.util.Locale.ROOT);
        // The JDK's own loggers, if it sets java.util.logging up (after ready), log to Ember's log.
        if (System.getProperty("java.util.logging.config.class") == null
                && System.getProperty("java.util.logging.config.file") == null) {
            System.setProperty("java.util.logging.config.class", "dev.ember.logging.JdkLogConfig");
        }
    }

    /** {@code --level} accepts Firecracker's names, case-insensitively. */
    static final class LevelConverter implements CommandLine.ITypeConverter<LogLevel> {
        @Override
        public LogLevel convert(String value) {
            try {
                return LogLevel.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** {@code --console-escape}: {@code ^A}..{@code ^Z} (also {@code ^[ ^\ ^] ^^ ^_}) as the control byte, {@code none} as -1. */
    static final class EscapeKeyConverter implements CommandLine.ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            try {
                return escapeKey(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** The control byte a {@code --console-escape} value names, -1 for none. */
    static int escapeKey(String value) {
        if (value.equalsIgnoreCase("none")) {
            return -1;
        }
        if (value.length() == 2 && value.charAt(0) == '^') {
            char c = Character.toUpperCase(value.charAt(1));
            if (c >= 'A' && c <= '_') {
                return c & 0x1f;
            }
        }
        throw new IllegalArgumentException("'" + value
                + "' is not a console escape key; give ^A to ^Z (a control key, e.g. ^A for Ctrl-A) or none");
    }

    /**
     * Firecracker's first line, {@code Firecracker vX.Y.Z}, which clients parse (Kata Containers
     * takes the second word, strips the {@code v} and compares it as a semantic version), with
     * the Firecracker version whose API Ember implements; Ember's own version beside it.
     */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {
                "Firecracker v" + EmberVersion.FIRECRACKER_API_VERSION + " (Ember v" + EmberVersion.VERSION + ")",
                "Ember v" + EmberVersion.VERSION + " implements the API and configuration file of Firecracker v"
                        + EmberVersion.FIRECRACKER_API_VERSION + "."};
        }
    }
}
