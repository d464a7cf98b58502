package dev.ember.jailer;

/** {@code ember-jailer}: see {@link JailerCommand} for the options and docs/jailer.md for the steps. */
public final class Main {
    /** When the jailer's main began (monotonic µs) and the CPU time it had used by then (µs). */
    static long START_US = System.nanoTime() / 1000;
    static long START_CPU_US;

    private Main() {}

    /**
     * The process's CPU time (user + system, all threads) in µs, from /proc/self/stat as
     * ProcessHandle.Info's total CPU duration reads it, without the rest of what that gathers
     * (command line, executable, user name through NSS: ~8 ms of the jailer's start, interpreted).
     * The kernel counts it in USER_HZ ticks, 100 a second on Linux whatever its internal HZ.
     * 0 when unreadable.
     */
    static long cpuTimeUs() {
        try (java.io.FileInputStream in = new java.io.FileInputStream("/proc/self/stat")) {
            String stat = new String(in.readNBytes(4096), java.nio.charset.StandardCharsets.US_ASCII);
            // After "pid (comm) ": state is field 3, utime field 14, stime field 15.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000;
        } catch (java.io.IOException | RuntimeException e) {
            return 0;
        }
    }

    public static void main(String[] args) {
        START_US = System.nanoTime() / 1000;   // CLOCK_MONOTONIC, as the VMM's System.nanoTime
        START_CPU_US = cpuTimeUs();
        int status = run(args);
        System.out.flush();
        System.err.flush();
        // halt, not exit: after --new-pid-ns the main thread can start no thread, and shutdown
        // hooks are threads. The jailer registers none of its own.
        Runtime.getRuntime().halt(status);
    }

    /**
     * An ordinary valid command line is read by {@link JailerArgs}, without loading picocli;
     * help, version, mistakes and anything unusual go to {@link PicocliJailer}, which words the
     * messages.
     */
    static int run(String[] args) {
        try {
            JailerCommand command = JailerArgs.parse(args);
            if (command == null) {
                command = PicocliJailer.parse(args);
                if (command == null) {
                    return 0;   // help or version printed
                }
            }
            JailConfig config = command.toConfig();
            return new Jail(config).run();
        } catch (PicocliJailer.UsageError e) {
            System.err.println("ember-jailer: " + e.getMessage());
            System.err.println("Try 'ember-jailer --help'.");
            return 2;
        } catch (JailerException e) {
            System.err.println("ember-jailer: " + e.getMessage());
            return e.isUsage() ? 2 : 1;
        } catch (RuntimeException | Error e) {
            StringBuilder why = new StringBuilder(e.toString());
            for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                why.append("; caused by ").append(c);
            }
            System.err.println("ember-jailer: internal error: " + why);
            return 1;
        }
    }
}
