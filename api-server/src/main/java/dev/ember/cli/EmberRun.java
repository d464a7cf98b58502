package dev.ember.cli;

import dev.ember.api.ApiServer;
import dev.ember.api.ApiServerException;
import dev.ember.app.EmberVersion;
import dev.ember.app.ConfigFileCommands;
import dev.ember.app.VmmCommand;
import dev.ember.app.MicroVm;
import dev.ember.app.VmmController;
import dev.ember.app.VmmResult;
import dev.ember.config.ActionType;
import dev.ember.config.ConfigException;
import dev.ember.config.InstanceActionInfo;
import dev.ember.config.LoggerConfig;
import dev.ember.config.MetricsConfig;
import dev.ember.config.StrictTree;
import dev.ember.config.VmResources;
import dev.ember.log.Log;
import dev.ember.logging.Logging;
import dev.ember.logging.MetricsWriter;
import dev.ember.metrics.FirecrackerMetrics;
import dev.ember.metrics.MetricGroup;
import dev.ember.metrics.Metrics;
import dev.ember.seccomp.BpfProgram;
import dev.ember.seccomp.SeccompFilterException;
import dev.ember.seccomp.json.SeccompFilters;
import dev.ember.sys.ProcessCpuTime;
import dev.ember.vm.ExitCode;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One run of the {@code ember} process, in Firecracker's order: logger and metrics, the
 * configuration file, the API socket, seccomp, then the boot from the file (if any); then wait
 * for the VM to end or a SIGTERM/SIGINT, and clean up (API socket removed, metrics flushed).
 */
final class EmberRun {
    private static final System.Logger LOG = Log.logger(EmberRun.class);
    /** Microseconds since the epoch at which bin/ember exec'd the JVM. */
    static final String JVM_START_PROPERTY = "ember.jvm.start.epoch.us";

    private final Main args;
    private final Supplier<MicroVm> vmmFactory;
    private final boolean installSignalHandlers;
    private final SetUpAhead ahead;

    EmberRun(Main args, Supplier<MicroVm> vmmFactory, boolean installSignalHandlers, SetUpAhead ahead) {
        this.args = args;
        this.vmmFactory = vmmFactory;
        this.installSignalHandlers = installSignalHandlers;
        this.ahead = ahead;
    }

    int run() {
        Logging.init(args.id);
        MetricsWriter metrics = new MetricsWriter();
        ApiServer api = null;
        MicroVm vmm = null;
        VmmController controller = null;
        try {
            configureLogging();
            if (args.metricsPath != null) {
                metrics.configure(new MetricsConfig(args.metricsPath));
            }
            VmResources resources = new VmResources();
            vmm = vmmFactory.get();
            controller = new VmmController(args.id, resources, vmm, metrics);
            configure(controller, resources);
            LOG.log(System.Logger.Level.INFO, "Running Ember v" + EmberVersion.VERSION);
            if (installSignalHandlers) {
                installSignalHandlers(vmm);
            }
            if (!args.noApi) {
                api = ApiServer.bind(args.apiSock, controller, args.maxPayload);
            }
            installSeccomp(); // after the socket is bound, before any request is read
            if (api != null) {
                api.serve();
            }
            recordStartupTime();
            if (api != null && args.configFile == null) {
                vmm.prepare(); // main is idle until the VMM ends: it waits for the first configuration request, then builds ahead
            }
            if (args.configFile != null) {
                VmmResult started = controller.submit(new VmmCommand.InstanceAction(new InstanceActionInfo(ActionType.InstanceStart)));
                if (started instanceof VmmResult.Failed failed) {
                    if (failed.fault() == VmmResult.Fault.STOPPED) {
                        // A signal that came while the configuration file's microVM was being started:
                        // its code (0 for SIGTERM/SIGINT, 156 for SIGHUP, ...).
                        int stopped = vmm.awaitExit();
                        LOG.log(System.Logger.Level.INFO, "stopped before the microVM started; Ember exiting with "
                                + ExitCode.describe(stopped));
                        return stopped;
                    }
                    return fail(ExitCode.BAD_CONFIGURATION, failed.message());
                }
            }
            int code = vmm.awaitExit();
            LOG.log(System.Logger.Level.INFO, "Ember exiting with " + ExitCode.describe(code));
            return code;
        } catch (ConfigException e) {
            return fail(ExitCode.BAD_CONFIGURATION, e.getMessage());
        } catch (SeccompFilterException e) {
            return fail(ExitCode.BAD_CONFIGURATION, e.getMessage());
        } catch (ApiServerException e) {
            return fail(ExitCode.GENERIC_ERROR, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCode.OK.code();
        } finally {
            if (vmm != null) {
                vmm.shutdown();
            }
            if (api != null) {
                api.close();
            }
            if (controller != null) {
                controller.close();
            }
            metrics.close();
            Logging.close();
        }
    }

    private void configureLogging() throws ConfigException {
        if (args.logPath != null || args.level != null || args.showLevel || args.showLogOrigin) {
            Logging.configure(new LoggerConfig(args.logPath, args.level, args.showLevel ? true : null,
                    args.showLogOrigin ? true : null, null));
        }
    }

    /**
     * The command line's settings and the configuration file, through the controller: the file
     * becomes the commands the API would send for it (ConfigFileCommands), so it is validated and
     * applied by the same code.
     */
    private void configure(VmmController controller, VmResources resources) throws ConfigException, InterruptedException {
        resources.setBootTimer(args.bootTimer);
        resources.setPciEnabled(args.enablePci);
        resources.setConsoleEscape(args.consoleEscape);
        resources.mmds().setSizeLimit(args.mmdsSizeLimit != null ? args.mmdsSizeLimit : args.maxPayload);
        if (args.configFile != null) {
            List<VmmCommand> commands = ConfigFileCommands.read(args.configFile);
            if (args.metricsPath != null && commands.stream().anyMatch(c -> c instanceof VmmCommand.PutMetrics)) {
                throw new ConfigException(ConfigException.Reason.CONFLICT, "metrics are set twice: by --metrics-path and by the config file's"
                        + " \"metrics\" section; keep one");
            }
            if (controller.submitAll(commands) instanceof VmmResult.Failed failed) {
                throw new ConfigException(ConfigException.Reason.INVALID_VALUE, "config file " + args.configFile + ": " + failed.message());
            }
        }
        if (args.metricsPath != null) {
            resources.setMetrics(new MetricsConfig(args.metricsPath));
        }
        if (args.metadata != null) {
            byte[] json;
            try {
                json = Files.readAllBytes(args.metadata);
            } catch (IOException e) {
                throw new ConfigException(ConfigException.Reason.FILE, "--metadata " + args.metadata + ": cannot read it: " + e.getMessage());
            }
            VmmResult stored = controller.submit(new VmmCommand.PutMmds(StrictTree.read(json, "--metadata " + args.metadata)));
            if (stored instanceof VmmResult.Failed failed) {
                throw new ConfigException(ConfigException.Reason.INVALID_VALUE, failed.message());
            }
        }
    }

    /**
     * Firecracker's api_server.process_startup_time_us / _cpu_us: from the jailer's start when it
     * says when that was, else from the JVM's start (bin/ember passes the moment it exec's java:
     * the process itself may be older, e.g. a shell that ran a build before exec'ing bin/ember).
     */
    private void recordStartupTime() {
        var group = Metrics.group("api_server");
        long wallUs;
        String since;
        String jvmStart = System.getProperty(JVM_START_PROPERTY);
        if (args.startTimeUs != null) {
            wallUs = System.nanoTime() / 1000 - args.startTimeUs;
            since = "the jailer started";
        } else if (jvmStart != null && isDecimal(jvmStart)) {
            // Plain arithmetic: ChronoUnit's between() sets up java.time's field and unit tables on main.
            Instant now = Instant.now();
            wallUs = now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000 - Long.parseLong(jvmStart);
            since = "the JVM started";
        } else {
            Instant start = ProcessHandle.current().info().startInstant().orElse(Instant.now());
            wallUs = Duration.between(start, Instant.now()).toNanos() / 1000;
            since = "process start";
        }
        long cpuUs = ProcessCpuTime.micros();
        if (args.startTimeCpuUs != null) {
            cpuUs -= args.startTimeCpuUs;
        }
        if (args.parentCpuTimeUs != null) {
            cpuUs += args.parentCpuTimeUs;
        }
        group.gauge("process_startup_time_us").set(Math.max(0, wallUs));
        group.gauge("process_startup_time_cpu_us").set(Math.max(0, cpuUs));
        LOG.log(System.Logger.Level.INFO, "Ember ready " + wallUs + " us after " + since);
    }

    /** 1 to 18 decimal digits (fits a long); by hand, as a pattern's compilation is interpreted work on main. */
    private static boolean isDecimal(String s) {
        if (s.isEmpty() || s.length() > 18) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private void installSeccomp() {
        Map<String, BpfProgram> builtIn = ahead.builtInFilters(); // its thread has ended: none left unfiltered mid-way
        if (args.noSeccomp) {
            LOG.log(System.Logger.Level.WARNING, "seccomp filtering is off (--no-seccomp)");
            return;
        }
        if (args.seccompFilter != null) {
            SeccompFilters.install(args.seccompFilter);
        } else if (builtIn != null) {
            SeccompFilters.install(builtIn);
        } else {
            SeccompFilters.installDefault();
        }
    }

    private static final MetricGroup SIGNALS = FirecrackerMetrics.SIGNALS.declare();

    /**
     * SIGTERM and SIGINT end the VM cleanly; the process then exits 0, as Firecracker's does.
     * SIGHUP, SIGXFSZ and SIGXCPU (a hang-up; a file-size or CPU-time limit reached) end it with
     * Firecracker's 156, 151 and 154. SIGHUP, SIGXFSZ and SIGXCPU are stored as 1 in Firecracker's
     * {@code signals} group, which the last metrics line carries. SIGPIPE stays ignored, as the
     * JVM has it: a handler would start a thread per signal, and a guest writing to a closed
     * console could raise thousands a second.
     */
    @SuppressWarnings("restriction")
    private static void installSignalHandlers(MicroVm vmm) {
        for (String name : new String[] {"TERM", "INT", "HUP", "XFSZ", "XCPU"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), s -> {
                    if (!name.equals("TERM") && !name.equals("INT")) {
                        SIGNALS.gauge("sig" + name.toLowerCase(java.util.Locale.ROOT)).set(1);
                    }
                    if (name.equals("HUP")) {
                        vmm.terminate(ExitCode.SIGHUP, "intercepted SIGHUP");
                        return;
                    }
                    if (name.equals("XFSZ") || name.equals("XCPU")) {
                        vmm.terminate(name.equals("XFSZ") ? ExitCode.SIGXFSZ : ExitCode.SIGXCPU,
                                "intercepted SIG" + name + " (a file-size or CPU-time limit of this process was reached)");
                        return;
                    }
                    LOG.log(System.Logger.Level.INFO, "received SIG" + name + ", stopping the microVM");
                    vmm.shutdown();
                });
            } catch (IllegalArgumentException e) {
                // Ignored when the process started (nohup, a background job) or reserved (-Xrs).
                LOG.log(System.Logger.Level.WARNING, "SIG" + name + " cannot be handled here (" + e.getMessage()
                        + "); it will not stop the microVM");
            }
        }
    }

    /** Says what went wrong once on stderr; the log gets it too when it is a file of its own. */
    private static int fail(ExitCode code, String message) {
        System.err.println("ember: " + message);
        if (!Logging.logsToStderr()) {
            LOG.log(System.Logger.Level.ERROR, message);
        }
        return code.code();
    }
}
