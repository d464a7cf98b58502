package dev.ember.jailer;

/** One {@code --resource-limit <resource>=<value>}: a soft and hard rlimit for the VMM. */
public record ResourceLimit(String name, int resource, long value) {
    /** RLIMIT_FSIZE and RLIMIT_NOFILE from {@code <sys/resource.h>}. */
    static final int RLIMIT_FSIZE = 1, RLIMIT_NOFILE = 7;
    /** What the VMM gets when no limit is given, as with Firecracker's jailer. */
    static final ResourceLimit DEFAULT_NO_FILE = new ResourceLimit("no-file", RLIMIT_NOFILE, 2048);

    public static ResourceLimit parse(String spec) {
        int eq = spec.indexOf('=');
        String name = eq < 0 ? spec : spec.substring(0, eq);
        int resource = switch (name) {
            case "fsize" -> RLIMIT_FSIZE;
            case "no-file" -> RLIMIT_NOFILE;
            default -> throw JailerException.usage("--resource-limit " + spec
                    + ": the resource must be fsize (largest file the VMM may write, bytes) or no-file (one more than the highest file descriptor)");
        };
        long value;
        try {
            value = Long.parseLong(eq < 0 ? "" : spec.substring(eq + 1));
        } catch (NumberFormatException e) {
            throw JailerException.usage("--resource-limit " + spec + ": expected " + name + "=<number>, e.g. " + name + "=" + (resource == RLIMIT_NOFILE ? "1024" : "250000000"));
        }
        if (value < 0) {
            throw JailerException.usage("--resource-limit " + spec + ": the value must not be negative");
        }
        if (resource == RLIMIT_NOFILE && value < 64) {
            throw JailerException.usage("--resource-limit " + spec + ": a JVM cannot start with fewer than 64 file descriptors");
        }
        return new ResourceLimit(name, resource, value);
    }
}
