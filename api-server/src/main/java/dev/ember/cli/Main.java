package dev.ember.cli;

import dev.ember.app.VmmControl;
import dev.ember.app.VmmException;
import dev.ember.config.ConfigException;
import dev.ember.config.VmResources;
import dev.ember.seccomp.SeccompFilterException;
import dev.ember.seccomp.json.SeccompFilters;
import dev.ember.vm.ExitCode;
import java.nio.file.Path;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code ember} command: one microVM per process, configured by a file and/or the API. */
@Command(name = "ember", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Runs one KVM microVM, configured from a Firecracker-compatible config file and/or REST API on a Unix socket.")
public final class Main implements Callable<Integer> {
    @Option(names = "--api-sock", paramLabel = "PATH", description = "Unix socket for the REST API (default: ${DEFAULT-VALUE}).")
    Path apiSock = Path.of("/run/ember.socket");

    @Option(names = "--config-file", paramLabel = "PATH", description = "Firecracker-style JSON configuration to apply at start.")
    Path configFile;

    @Option(names = "--no-api", description = "Do not serve the API; boot from --config-file straight away.")
    boolean noApi;

    @Option(names = "--id", paramLabel = "ID", description = "MicroVM id: letters, digits and '-', at most 64 characters (default: ${DEFAULT-VALUE}).")
    String id = "anonymous-instance";

    @Option(names = "--level", paramLabel = "LEVEL", description = "Log level: Error, Warning, Info, Debug, Trace or Off (default: ${DEFAULT-VALUE}).")
    String level = "Info";

    @Option(names = "--log-path", paramLabel = "PATH", description = "Write the log to this file or FIFO instead of stderr.")
    Path logPath;

    @Option(names = "--no-seccomp", description = "Do not install a seccomp filter (debugging only).")
    boolean noSeccomp;

    @Option(names = "--seccomp-filter", paramLabel = "FILE", description = "Install this seccomp filter (seccompiler JSON, docs/seccomp.md) instead of the built-in one.")
    Path seccompFilter;

    @Option(names = "--boot-timer", description = "Log the time from VMM start to the guest's boot-timer signal (MMIO 0xd0000000).")
    boolean bootTimer;

    @Override
    public Integer call() {
        if (!id.matches("[A-Za-z0-9-]{1,64}")) {
            return usageError("--id '" + id + "' is invalid: use 1 to 64 letters, digits or '-'");
        }
        if (noApi && configFile == null) {
            return usageError("--no-api needs --config-file: without the API the configuration must come from a file");
        }
        if (!noApi) {
            return usageError("the REST API server is not available in this build yet; run with --no-api --config-file PATH");
        }
        VmResources resources;
        try {
            resources = VmResources.fromConfigFile(configFile);
            resources.setBootTimer(bootTimer);
            resources.requireStartable();
        } catch (ConfigException e) {
            System.err.println("ember: " + e.getMessage());
            return ExitCode.BAD_CONFIGURATION;
        }
        VmmControl vmm = ServiceLoader.load(VmmControl.class).findFirst()
                .orElseThrow(() -> new IllegalStateException("no VmmControl implementation on the class path"));
        installSignalHandlers(vmm);
        try {
            installSeccomp();
        } catch (SeccompFilterException e) {
            System.err.println("ember: " + e.getMessage());
            return ExitCode.BAD_CONFIGURATION;
        }
        try {
            vmm.start(resources);
        } catch (VmmException e) {
            System.err.println("ember: " + e.getMessage());
            return ExitCode.BAD_CONFIGURATION;
        }
        try {
            return vmm.awaitExit();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            vmm.shutdown();
            return ExitCode.OK;
        }
    }

    /** Before any guest code or API request: the process-wide filter (docs/seccomp.md). */
    private void installSeccomp() {
        if (noSeccomp) {
            if (seccompFilter != null) {
                throw new SeccompFilterException("--no-seccomp and --seccomp-filter contradict each other: give one");
            }
            return;
        }
        if (seccompFilter != null) {
            SeccompFilters.install(seccompFilter);
        } else {
            SeccompFilters.installDefault();
        }
    }

    /** SIGTERM and SIGINT end the VM cleanly and the process with status 0, as Firecracker does. */
    @SuppressWarnings("restriction")
    private static void installSignalHandlers(VmmControl vmm) {
        for (String sig : new String[] {"TERM", "INT", "HUP"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(sig), s -> vmm.shutdown());
            } catch (IllegalArgumentException e) {
                // the JVM reserves this signal (e.g. with -Xrs); the default action then applies
            }
        }
    }

    private static int usageError(String message) {
        System.err.println("ember: " + message);
        System.err.println("Try 'ember --help' for more information.");
        return ExitCode.ARG_PARSING;
    }

    public static void main(String[] args) {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT.%1$tL [%4$s] %3$s: %5$s%6$s%n");
        }
        CommandLine cli = new CommandLine(new Main());
        cli.setParameterExceptionHandler((ex, a) -> {
            System.err.println("ember: " + ex.getMessage());
            System.err.println("Try 'ember --help' for more information.");
            return ExitCode.ARG_PARSING;
        });
        System.exit(cli.execute(args));
    }

    /** Version from the jar manifest, or the development version when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"Ember " + (v != null ? v : "0.1.0-SNAPSHOT")};
        }
    }
}
