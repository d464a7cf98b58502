package dev.ember.jailer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads an ordinary, valid {@code ember-jailer} command line without picocli: picocli's class
 * files predate the AOT cache's format (Java 5), so loading it and reflecting on
 * {@link JailerCommand} cost about half of the jailer's start. It accepts only what it is sure
 * picocli reads the same way: each option by its exact long name (once, but for the repeatable
 * {@code --cgroup} and {@code --resource-limit}), its value as the next argument or after '=',
 * values that start with neither '-' nor '@' (picocli reads '@' arguments as argument files),
 * plain decimal ids, {@code --id} and {@code --exec-file} given, and the VMM's arguments after
 * {@code --}. Anything else, help and version included, goes to picocli and its messages.
 * {@code JailerArgsTest} checks the two readings agree and that every option picocli knows is
 * known here.
 */
final class JailerArgs {
    /** Options that take no value. */
    static final Set<String> FLAGS = Set.of("--daemonize", "--new-pid-ns", "--no-new-pid-ns");
    /** Options that take one value, once. */
    static final Set<String> VALUED = Set.of("--id", "--exec-file", "--uid", "--gid", "--uid-range", "--chroot-base-dir",
            "--netns", "--cgroup-version", "--parent-cgroup", "--main-class");
    /** Options that take one value and may be repeated. */
    static final Set<String> REPEATED = Set.of("--cgroup", "--resource-limit");

    private JailerArgs() {}

    /** The command {@code args} describe; null when picocli must read them. */
    static JailerCommand parse(String[] args) {
        JailerCommand c = new JailerCommand();
        c.uidRange = UidRange.DEFAULT_SPEC;
        c.chrootBaseDir = Path.of("/srv/jailer");
        c.newPidNs = true;
        c.mainClass = "dev.ember.cli.Main";
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--")) {
                c.vmmArgs = new ArrayList<>(List.of(args).subList(i + 1, args.length));
                if (c.vmmArgs.stream().anyMatch(a -> a.startsWith("@"))) {
                    return null;
                }
                break;
            }
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            boolean repeatable = REPEATED.contains(name);
            // --new-pid-ns and --no-new-pid-ns set one option: either of them once.
            String key = name.equals("--no-new-pid-ns") ? "--new-pid-ns" : name;
            if (!seen.add(key) && !repeatable) {
                return null;
            }
            if (FLAGS.contains(name)) {
                if (value != null) {
                    return null;
                }
                switch (name) {
                    case "--daemonize" -> c.daemonize = true;
                    case "--new-pid-ns" -> c.newPidNs = true;
                    default -> c.newPidNs = false;
                }
                continue;
            }
            if (!repeatable && !VALUED.contains(name)) {
                return null;
            }
            if (value == null) {
                if (i + 1 == args.length) {
                    return null;
                }
                value = args[++i];
            }
            if (value.isEmpty() || value.startsWith("-") || value.startsWith("@") || !set(c, name, value)) {
                return null;
            }
        }
        return c.id != null && c.execFile != null ? c : null;
    }

    /** False when picocli must judge the value. */
    private static boolean set(JailerCommand c, String name, String value) {
        try {
            switch (name) {
                case "--id" -> c.id = value;
                case "--exec-file" -> c.execFile = Path.of(value);
                case "--uid" -> c.uid = decimal(value);
                case "--gid" -> c.gid = decimal(value);
                case "--uid-range" -> c.uidRange = value;
                case "--chroot-base-dir" -> c.chrootBaseDir = Path.of(value);
                case "--netns" -> c.netns = Path.of(value);
                case "--cgroup-version" -> c.cgroupVersion = decimal(value);
                case "--parent-cgroup" -> c.parentCgroup = value;
                case "--main-class" -> c.mainClass = value;
                case "--cgroup" -> c.cgroups.add(value);
                case "--resource-limit" -> c.resourceLimits.add(value);
                default -> {
                    return false;
                }
            }
            return true;
        } catch (IllegalArgumentException e) { // InvalidPathException included
            return false;
        }
    }

    /** Up to 9 decimal digits, where picocli's Integer.valueOf reads the same number. */
    private static int decimal(String value) {
        if (value.length() > 9) {
            throw new IllegalArgumentException(value);
        }
        for (int i = 0; i < value.length(); i++) {
            if (value.charAt(i) < '0' || value.charAt(i) > '9') {
                throw new IllegalArgumentException(value);
            }
        }
        return Integer.parseInt(value);
    }
}
