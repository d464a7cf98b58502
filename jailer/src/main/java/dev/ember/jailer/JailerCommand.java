package dev.ember.jailer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** ember-jailer's command line: Firecracker's jailer options, plus --main-class. */
@Command(name = "ember-jailer", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = "Starts the Ember VMM confined: a chroot jail (pivot_root in a mount namespace of slave mounts) holding a"
                + " read-only runtime image and device nodes for /dev/kvm, /dev/net/tun and /dev/urandom; a PID namespace of its own;"
                + " optionally a cgroup and a network namespace; resource limits; an unprivileged uid/gid of its own, no capabilities"
                + " and NO_NEW_PRIVS. The VMM installs its seccomp filter itself when it starts. Arguments after -- go to the VMM."
                + " See docs/jailer.md.",
        footer = {"", "Example:",
            "  ember-jailer --id vm1 --exec-file bin/ember --daemonize \\",
            "      --cgroup-version 2 --cgroup memory.max=536870912 \\",
            "      --netns /var/run/netns/vm1 -- --config-file /vm.json",
            "The VM gets a fresh uid/gid (the jail root's owner) and a PID",
            "namespace of its own. Its PID: /srv/jailer/ember/vm1/root/firecracker.pid;",
            "its API socket: /srv/jailer/ember/vm1/root/run/firecracker.socket."})
final class JailerCommand {
    @Option(names = "--id", required = true, paramLabel = "ID", description = "VM id: 1-64 letters, digits and '-'; names the jail and cgroup.")
    String id;

    @Option(names = "--exec-file", required = true, paramLabel = "FILE",
            description = "The repository's bin/ember, or bin/ember of an Ember runtime image (jailer/target/ember-runtime/bin/ember);"
                    + " its file name names the jail.")
    Path execFile;

    @Option(names = "--uid", paramLabel = "UID",
            description = "User id the VMM runs as (default: a fresh id from --uid-range for this VM; give --gid with it).")
    Integer uid;

    @Option(names = "--gid", paramLabel = "GID", description = "Group id the VMM runs as; supplementary groups are cleared (default: the fresh uid's number).")
    Integer gid;

    @Option(names = "--uid-range", paramLabel = "FIRST-LAST",
            description = "Where a VM without --uid/--gid gets its own uid and gid: the lowest id that no jail, process or passwd/group entry uses"
                    + " (default: ${DEFAULT-VALUE}).", defaultValue = UidRange.DEFAULT_SPEC)
    String uidRange;

    @Option(names = "--chroot-base-dir", defaultValue = "/srv/jailer", paramLabel = "DIR",
            description = "Jails are made in DIR/<exec-name>/<id>/root (default: ${DEFAULT-VALUE}).")
    Path chrootBaseDir;

    @Option(names = "--netns", paramLabel = "PATH", description = "Network namespace to join, e.g. /var/run/netns/NAME.")
    Path netns;

    @Option(names = "--daemonize", description = "setsid() and stdin/stdout/stderr to /dev/null before starting the VMM.")
    boolean daemonize;

    @Option(names = "--new-pid-ns", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Start the VMM as PID 1 of a new PID namespace (the default; --no-new-pid-ns execs it in place under the jailer's PID);"
                    + " its host PID goes to <root>/firecracker.pid and <root>/<exec-name>.pid.")
    boolean newPidNs;

    @Option(names = "--cgroup-version", paramLabel = "1|2",
            description = "cgroup hierarchy for --cgroup (default: 2 on a unified cgroup2 system, else 1).")
    Integer cgroupVersion;

    @Option(names = "--cgroup", paramLabel = "FILE=VALUE",
            description = "Write VALUE to the control FILE of the VM's cgroup (repeatable), e.g. memory.max=536870912.")
    List<String> cgroups = new ArrayList<>();

    @Option(names = "--parent-cgroup", paramLabel = "PATH", description = "Parent of the VM's cgroup, relative to the hierarchy root (default: the exec-file name).")
    String parentCgroup;

    @Option(names = "--resource-limit", paramLabel = "RES=VALUE", description = "fsize=BYTES or no-file=N (repeatable; default no-file=2048).")
    List<String> resourceLimits = new ArrayList<>();

    @Option(names = "--main-class", defaultValue = "dev.ember.cli.Main", paramLabel = "CLASS",
            description = "Main class started in the jail (default: ${DEFAULT-VALUE}, the ember VMM).")
    String mainClass;

    @Parameters(paramLabel = "VMM-ARGS", description = "Arguments for the VMM, after --.")
    List<String> vmmArgs = new ArrayList<>();

    JailConfig toConfig() {
        RuntimeImage image = RuntimeImage.of(execFile);
        int version = cgroupVersion != null ? cgroupVersion : (isUnifiedSystem() ? 2 : 1);
        if ((uid != null && uid < 0) || (gid != null && gid < 0)) {
            throw JailerException.usage("--uid/--gid must be 0 or more (got " + uid + "/" + gid + ")");
        }
        return new JailConfig(id, image, uid != null ? uid : JailConfig.ALLOCATE, gid != null ? gid : JailConfig.ALLOCATE,
                UidRange.parse(uidRange), chrootBaseDir, netns, daemonize, newPidNs, version,
                cgroups.stream().map(CgroupSetting::parse).toList(),
                parentCgroup != null ? parentCgroup : image.execName(),
                resourceLimits.stream().map(ResourceLimit::parse).toList(),
                mainClass, vmmArgs);
    }

    /** A cgroup2-only host mounts the unified hierarchy at /sys/fs/cgroup itself. */
    private static boolean isUnifiedSystem() {
        return Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"));
    }
}
