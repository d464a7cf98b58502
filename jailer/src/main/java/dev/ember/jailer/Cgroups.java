package dev.ember.jailer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Puts the VMM in its own cgroup, {@code <hierarchy>/<parent-cgroup>/<id>}, with the
 * {@code --cgroup} values written first. cgroup v2 has one hierarchy (the controllers a setting
 * needs are enabled in {@code cgroup.subtree_control} from the root down); cgroup v1 has one per
 * controller mount, found in /proc/mounts, and the VM gets a cgroup in each hierarchy a setting
 * names.
 *
 * <p>The process is moved by writing its PID to {@code cgroup.procs}, which moves every thread.
 * Firecracker's jailer writes {@code tasks}, which in cgroup v1 moves only the calling thread:
 * right for a single-threaded jailer, wrong for a JVM, whose other threads would stay behind.
 * Without {@code --cgroup} nothing is created, as with Firecracker.
 */
final class Cgroups {
    /** One cgroup to create: its directory, the hierarchy's root, the values to write. */
    record Placement(Path hierarchyRoot, Path dir, List<CgroupSetting> settings, Set<String> controllers, String originalPath) {}

    private final int version;
    private final List<Placement> placements;

    private Cgroups(int version, List<Placement> placements) {
        this.version = version;
        this.placements = placements;
    }

    List<Placement> placements() {
        return placements;
    }

    /** Works out where the cgroups go; checks that every controller a setting needs is there. */
    static Cgroups plan(JailConfig config, List<MountTable.Mount> mounts, List<String> procSelfCgroup) {
        if (config.cgroups().isEmpty()) {
            return new Cgroups(config.cgroupVersion(), List.of());
        }
        Path relative = Path.of(config.parentCgroup()).resolve(config.id());
        List<Placement> placements = new ArrayList<>();
        if (config.cgroupVersion() == 2) {
            MountTable.Mount unified = mounts.stream().filter(m -> m.fsType().equals("cgroup2")).findFirst()
                    .orElseThrow(() -> new JailerException("--cgroup-version 2: no cgroup2 file system is mounted (/proc/mounts); use --cgroup-version 1 or mount one"));
            Set<String> controllers = new LinkedHashSet<>();
            for (CgroupSetting s : config.cgroups()) {
                if (!s.controller().equals("cgroup")) {
                    controllers.add(s.controller());
                }
            }
            String original = procSelfCgroup.stream().filter(l -> l.startsWith("0::")).map(l -> l.substring(3)).findFirst().orElse("/");
            placements.add(new Placement(unified.mountPoint(), unified.mountPoint().resolve(relative), config.cgroups(), controllers, original));
        } else {
            Map<Path, Placement> byMount = new LinkedHashMap<>();
            for (CgroupSetting s : config.cgroups()) {
                String controller = s.controller();
                MountTable.Mount m = mounts.stream()
                        .filter(x -> x.fsType().equals("cgroup") && x.options().contains(controller)).findFirst()
                        .orElseThrow(() -> JailerException.usage("--cgroup " + s.file() + "=" + s.value() + ": no cgroup v1 hierarchy has the "
                                + controller + " controller mounted (see /proc/mounts); on a cgroup v2 system use --cgroup-version 2"));
                Placement p = byMount.get(m.mountPoint());
                if (p == null) {
                    Set<String> ctrls = new LinkedHashSet<>(m.options());
                    ctrls.retainAll(knownV1Controllers(m));
                    p = new Placement(m.mountPoint(), m.mountPoint().resolve(relative), new ArrayList<>(), ctrls, v1Path(procSelfCgroup, controller));
                    byMount.put(m.mountPoint(), p);
                }
                p.settings().add(s);
            }
            placements.addAll(byMount.values());
        }
        return new Cgroups(config.cgroupVersion(), placements);
    }

    private static Set<String> knownV1Controllers(MountTable.Mount m) {
        Set<String> s = new LinkedHashSet<>(m.options());
        s.removeIf(o -> o.startsWith("rw") || o.startsWith("ro") || o.contains("=") || o.equals("relatime") || o.equals("nosuid")
                || o.equals("nodev") || o.equals("noexec"));
        return s;
    }

    /** The process's current cgroup in the v1 hierarchy of {@code controller} ("4:memory:/a/b"). */
    private static String v1Path(List<String> procSelfCgroup, String controller) {
        for (String line : procSelfCgroup) {
            String[] f = line.split(":", 3);
            if (f.length == 3 && Set.of(f[1].split(",")).contains(controller)) {
                return f[2];
            }
        }
        return "/";
    }

    /** Creates the cgroups, writes the values and moves process {@code pid} (all its threads) in. */
    void apply(long pid, Undo undo) {
        for (Placement p : placements) {
            createLevels(p, undo);
            for (CgroupSetting s : p.settings()) {
                write(p.dir().resolve(s.file()), s.value(), "--cgroup " + s.file() + "=" + s.value());
            }
            write(p.dir().resolve("cgroup.procs"), Long.toString(pid), "placing the jailer in cgroup " + p.dir());
            Path back = p.hierarchyRoot().resolve(p.originalPath().substring(1)).resolve("cgroup.procs");
            undo.push("move the jailer back to " + back.getParent(), () -> write(back, Long.toString(pid), "moving the jailer back"));
        }
    }

    private void createLevels(Placement p, Undo undo) {
        Path rel = p.hierarchyRoot().relativize(p.dir());
        Path dir = p.hierarchyRoot();
        for (int i = 0; i < rel.getNameCount(); i++) {
            if (version == 2) {
                enableControllers(dir, p.controllers());
            }
            Path parent = dir;
            dir = dir.resolve(rel.getName(i));
            boolean last = i == rel.getNameCount() - 1;
            if (Files.isDirectory(dir)) {
                if (last && !read(dir.resolve("cgroup.procs")).isBlank()) {
                    throw new JailerException("cgroup " + dir + " already exists and has processes in it: is a VM with id "
                            + dir.getFileName() + " still running? (ember-launch --stop " + dir.getFileName() + " ends it)");
                }
                continue;
            }
            try {
                Files.createDirectory(dir);
            } catch (IOException e) {
                throw new JailerException("cannot create cgroup " + dir + ": " + reason(e), e);
            }
            Path created = dir;
            undo.push("remove cgroup " + created, () -> Files.deleteIfExists(created));
            if (version == 1 && p.controllers().contains("cpuset")) {
                // A new v1 cpuset starts with no CPUs and no memory nodes, and takes no process so.
                inheritIfEmpty(parent, dir, "cpuset.cpus");
                inheritIfEmpty(parent, dir, "cpuset.mems");
            }
        }
    }

    private static void enableControllers(Path dir, Set<String> controllers) {
        if (controllers.isEmpty()) {
            return;
        }
        Set<String> available = Set.of(read(dir.resolve("cgroup.controllers")).trim().split("\\s+"));
        Set<String> enabled = Set.of(read(dir.resolve("cgroup.subtree_control")).trim().split("\\s+"));
        StringBuilder add = new StringBuilder();
        for (String c : controllers) {
            if (!available.contains(c)) {
                throw JailerException.usage("--cgroup " + c + ".*: the " + c + " controller is not available in the cgroup v2 hierarchy at " + dir
                        + " (it offers: " + String.join(" ", available).trim() + "); it may be bound to a cgroup v1 hierarchy: try --cgroup-version 1");
            }
            if (!enabled.contains(c)) {
                add.append(add.length() == 0 ? "" : " ").append('+').append(c);
            }
        }
        if (add.length() > 0) {
            write(dir.resolve("cgroup.subtree_control"), add.toString(), "enabling controllers " + add + " for the children of " + dir
                    + " (a cgroup v2 group with processes of its own cannot enable them; choose another --parent-cgroup)");
        }
    }

    private static void inheritIfEmpty(Path parent, Path dir, String file) {
        if (read(dir.resolve(file)).isBlank()) {
            write(dir.resolve(file), read(parent.resolve(file)).trim(), "copying " + file + " from " + parent);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new JailerException("cannot read " + file + ": " + reason(e), e);
        }
    }

    private static void write(Path file, String value, String what) {
        try {
            // No CREATE: a cgroup file system refuses to create files, and a missing one is a wrong name.
            Files.writeString(file, value, StandardCharsets.US_ASCII, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (NoSuchFileException e) {
            throw JailerException.usage(what + ": " + file + " does not exist (no such control file for this cgroup version and controller)");
        } catch (IOException e) {
            throw new JailerException(what + ": writing \"" + value + "\" to " + file + " failed: " + reason(e), e);
        }
    }

    static String reason(IOException e) {
        return e instanceof FileSystemException f && f.getReason() != null ? f.getReason() : String.valueOf(e.getMessage());
    }

    /** The directories a stopped VM leaves behind, for ember-launch --stop and tests. */
    List<Path> directories() {
        return placements.stream().map(Placement::dir).toList();
    }
}
