package dev.ember.jailer;

import java.util.regex.Pattern;

/** One {@code --cgroup <file>=<value>}: a control file of the VM's cgroup and what to write in it. */
public record CgroupSetting(String file, String value) {
    private static final Pattern FILE = Pattern.compile("[a-z0-9_]+\\.[a-zA-Z0-9_.]+");

    public static CgroupSetting parse(String spec) {
        int eq = spec.indexOf('=');
        if (eq <= 0) {
            throw JailerException.usage("--cgroup " + spec + ": expected <file>=<value>, e.g. memory.max=536870912 or cpu.max=\"50000 100000\"");
        }
        String file = spec.substring(0, eq);
        String value = spec.substring(eq + 1);
        if (!FILE.matcher(file).matches()) {
            throw JailerException.usage("--cgroup " + spec + ": \"" + file
                    + "\" is not a cgroup control file name (<controller>.<setting>, e.g. memory.max or cpuset.cpus)");
        }
        if (value.isEmpty() || value.indexOf('\n') >= 0) {
            throw JailerException.usage("--cgroup " + spec + ": the value must be one non-empty line");
        }
        return new CgroupSetting(file, value);
    }

    /** The controller the file belongs to: the part before the first dot ("cgroup" for core files). */
    public String controller() {
        return file.substring(0, file.indexOf('.'));
    }
}
