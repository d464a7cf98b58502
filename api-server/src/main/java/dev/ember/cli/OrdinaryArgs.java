package dev.ember.cli;

import dev.ember.config.LogLevel;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * Reads an ordinary, valid {@code ember} command line without picocli, so the common start
 * does not load it. It accepts only what it is sure picocli would accept with the same result:
 * each option once, by its exact long name, its value as the next argument or after '=', values
 * that do not start with '-' or '@' (picocli reads '@' arguments as argument files), plain
 * decimal numbers, and a combination {@link Main#problem()} finds nothing wrong with. Anything
 * else, help and version included, is left to picocli (and its messages). {@code OrdinaryArgsTest}
 * checks the two readings agree and that every option picocli knows is known here.
 */
final class OrdinaryArgs {
    /** Options that take no value. */
    static final Set<String> FLAGS = Set.of("--no-api", "--show-level", "--show-log-origin", "--boot-timer", "--no-seccomp", "--enable-pci");
    /** Options that take one value. */
    static final Set<String> VALUED = Set.of("--api-sock", "--config-file", "--id", "--level", "--log-path", "--metrics-path",
            "--http-api-max-payload-size", "--mmds-size-limit", "--metadata", "--seccomp-filter", "--console-escape",
            "--start-time-us", "--start-time-cpu-us", "--parent-cpu-time-us");

    private OrdinaryArgs() {}

    /** A new {@link Main} (same VMM source as {@code template}) set from {@code args}; null when picocli must read them. */
    static Main parse(String[] args, Main template) {
        Main m = template.fresh();
        m.consoleEscape = Main.escapeKey(Main.DEFAULT_CONSOLE_ESCAPE);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            if (!seen.add(name)) {
                return null;
            }
            if (FLAGS.contains(name)) {
                if (value != null) {
                    return null;
                }
                setFlag(m, name);
                continue;
            }
            if (!VALUED.contains(name)) {
                return null;
            }
            if (value == null) {
                if (i + 1 == args.length) {
                    return null;
                }
                value = args[++i];
            }
            if (value.isEmpty() || value.startsWith("-") || value.startsWith("@") || !set(m, name, value)) {
                return null;
            }
        }
        return m.problem() == null ? m : null;
    }

    private static void setFlag(Main m, String name) {
        switch (name) {
            case "--no-api" -> m.noApi = true;
            case "--show-level" -> m.showLevel = true;
            case "--show-log-origin" -> m.showLogOrigin = true;
            case "--boot-timer" -> m.bootTimer = true;
            case "--enable-pci" -> m.enablePci = true;
            case "--no-seccomp" -> m.noSeccomp = true;
            default -> throw new IllegalArgumentException(name);
        }
    }

    /** False when picocli must judge the value. */
    private static boolean set(Main m, String name, String value) {
        try {
            switch (name) {
                case "--api-sock" -> m.apiSock = Path.of(value);
                case "--config-file" -> m.configFile = Path.of(value);
                case "--metadata" -> m.metadata = Path.of(value);
                case "--seccomp-filter" -> m.seccompFilter = Path.of(value);
                case "--id" -> m.id = value;
                case "--log-path" -> m.logPath = value;
                case "--metrics-path" -> m.metricsPath = value;
                case "--level" -> m.level = LogLevel.parse(value);
                case "--console-escape" -> m.consoleEscape = Main.escapeKey(value);
                case "--http-api-max-payload-size" -> m.maxPayload = decimal(value, 9).intValue();
                case "--mmds-size-limit" -> m.mmdsSizeLimit = decimal(value, 9).intValue();
                case "--start-time-us" -> m.startTimeUs = decimal(value, 18);
                case "--start-time-cpu-us" -> m.startTimeCpuUs = decimal(value, 18);
                case "--parent-cpu-time-us" -> m.parentCpuTimeUs = decimal(value, 18);
                default -> {
                    return false;
                }
            }
            return true;
        } catch (IllegalArgumentException e) { // InvalidPathException included
            return false;
        }
    }

    /** Up to {@code digits} decimal digits, the range where picocli's valueOf reads the same number. */
    private static Long decimal(String value, int digits) {
        if (value.length() > digits) {
            throw new IllegalArgumentException(value);
        }
        for (int i = 0; i < value.length(); i++) {
            if (value.charAt(i) < '0' || value.charAt(i) > '9') {
                throw new IllegalArgumentException(value);
            }
        }
        return Long.parseLong(value);
    }
}
