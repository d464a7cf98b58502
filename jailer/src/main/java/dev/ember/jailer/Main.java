package dev.ember.jailer;

import dev.ember.sys.ProcessCpuTime;

/** {@code ember-jailer}: see {@link JailerCommand} for the options and docs/jailer.md for the steps. */
public final class Main {
    /** When the jailer's main began (monotonic µs) and the CPU time it had used by then (µs). */
    static long START_US = System.nanoTime() / 1000;
    static long START_CPU_US;

    private Main() {}

    public static void main(String[] args) {
        START_US = System.nanoTime() / 1000;   // CLOCK_MONOTONIC, as the VMM's System.nanoTime
        START_CPU_US = ProcessCpuTime.micros();
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
