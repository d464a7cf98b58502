package dev.ember.jailer;

import dev.ember.sys.InstanceId;
import java.nio.file.Path;
import java.util.List;

/** Everything the jailer was asked to do, validated. */
public record JailConfig(
        String id,
        RuntimeImage image,
        int uid,
        int gid,
        UidRange uidRange,
        Path chrootBaseDir,
        Path netns,
        boolean daemonize,
        boolean newPidNs,
        int cgroupVersion,
        List<CgroupSetting> cgroups,
        String parentCgroup,
        List<ResourceLimit> resourceLimits,
        String mainClass,
        List<String> vmmArgs) {

    /** uid and gid when neither --uid nor --gid is given: a fresh id from the range, per VM. */
    public static final int ALLOCATE = -1;

    /** The Ember VMM's main class: the default of --main-class. */
    public static final String VMM_MAIN_CLASS = "dev.ember.cli.Main";

    public JailConfig {
        if (!InstanceId.isValid(id)) {
            throw JailerException.usage("--id " + id + ": must be 1 to 64 characters, each a letter, a digit or '-'");
        }
        if ((uid == ALLOCATE) != (gid == ALLOCATE)) {
            throw JailerException.usage("--uid and --gid go together: give both, or neither for a fresh uid/gid from --uid-range " + uidRange);
        }
        if (uid < ALLOCATE || gid < ALLOCATE) {
            throw JailerException.usage("--uid/--gid must be 0 or more (got " + uid + "/" + gid + ")");
        }
        if (!chrootBaseDir.isAbsolute() || chrootBaseDir.normalize().getNameCount() == 0) {
            throw JailerException.usage("--chroot-base-dir " + chrootBaseDir + ": must be an absolute path below / (default /srv/jailer)");
        }
        if (netns != null && !netns.isAbsolute()) {
            throw JailerException.usage("--netns " + netns + ": must be an absolute path such as /var/run/netns/NAME");
        }
        if (cgroupVersion != 1 && cgroupVersion != 2) {
            throw JailerException.usage("--cgroup-version " + cgroupVersion + ": must be 1 or 2");
        }
        if (parentCgroup.isEmpty() || parentCgroup.startsWith("/") || List.of(parentCgroup.split("/")).stream().anyMatch(p -> p.isEmpty() || p.equals("..") || p.equals("."))) {
            throw JailerException.usage("--parent-cgroup " + parentCgroup + ": must be a relative path inside the cgroup hierarchy, without '..', e.g. ember or vms/ember");
        }
        if (!isClassName(mainClass)) {
            throw JailerException.usage("--main-class " + mainClass + ": not a Java class name");
        }
        if (mainClass.equals(VMM_MAIN_CLASS) && vmmArgs.stream().anyMatch(a -> a.equals("--id") || a.startsWith("--id="))) {
            throw JailerException.usage("--id after --: the jailer passes the VM's --id to the VMM itself; leave it out of the VMM's arguments");
        }
        cgroups = List.copyOf(cgroups);
        resourceLimits = List.copyOf(resourceLimits);
        vmmArgs = List.copyOf(vmmArgs);
    }

    /** Dot-separated ASCII Java identifiers ('_' and '$' count as letters), e.g. dev.ember.cli.Main. */
    static boolean isClassName(String name) {
        boolean segmentStart = true;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '.') {
                if (segmentStart) {
                    return false;
                }
                segmentStart = true;
            } else if (isAsciiLetter(c) || c == '_' || c == '$' || !segmentStart && c >= '0' && c <= '9') {
                segmentStart = false;
            } else {
                return false;
            }
        }
        return !segmentStart;
    }

    private static boolean isAsciiLetter(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z';
    }

    /** The same jail for the uid and gid allocated for it. */
    public JailConfig withIds(int newUid, int newGid) {
        return new JailConfig(id, image, newUid, newGid, uidRange, chrootBaseDir, netns, daemonize, newPidNs, cgroupVersion, cgroups,
                parentCgroup, resourceLimits, mainClass, vmmArgs);
    }

    /** {@code <chroot-base-dir>/<exec-file name>/<id>}: holds the jail's root and nothing else. */
    public Path jailDir() {
        return chrootBaseDir.resolve(image.execName()).resolve(id);
    }

    /** The directory that becomes "/" for the VMM. */
    public Path rootDir() {
        return jailDir().resolve("root");
    }
}
