package dev.ember.jailer;

import static dev.ember.jailer.Sys.check;

import dev.ember.sys.LibC;
import dev.ember.sys.ProcessCpuTime;
import dev.ember.sys.RawLibc;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the jail and turns this process into the jailed VMM.
 *
 * <p>The JVM is multi-threaded, and the namespace calls act on the calling thread only:
 * {@code unshare(CLONE_NEWNS)} gives this thread (not the JVM's other threads) a new mount
 * namespace and its own copy of the root/cwd, {@code pivot_root} and {@code chroot} change that
 * copy, {@code setns(CLONE_NEWNET)} and {@code unshare(CLONE_NEWPID)} change this thread's
 * namespaces, and {@code PR_SET_NO_NEW_PRIVS} is a per-thread flag. All of that is done on one
 * thread, which then calls {@code execve}: the kernel ends every other thread of the process and
 * the new program inherits exactly this thread's namespaces, root, credentials and flags, under
 * the same PID. Credentials are per thread in the kernel too: the jailer drops them on this
 * thread with raw system calls (glibc's wrappers would change every thread), and the exec ends
 * the threads that still have root. With {@code --new-pid-ns} the VMM must be
 * a child (the first process of the new PID namespace): it is started with posix_spawn from this
 * thread (clone(CLONE_VM|CLONE_VFORK) + exec, nothing else runs in the child), so it inherits the
 * same state; the jailer writes its PID to {@code <root>/firecracker.pid} (and {@code <exec-name>.pid}) and exits (with
 * {@code --daemonize}) or waits for it and exits with its status.
 *
 * <p>Host-side clean-up after a failure runs on a thread started before the namespace work, which
 * still sees the host's file system.
 */
final class Jail {
    private static final String OLD_ROOT = "old_root";
    /** The PID file orchestrators written for Firecracker read in the jail's root. */
    static final String FIRECRACKER_PID_FILE = "firecracker.pid";
    /** Firecracker's default API socket, which a jailed VMM listens on unless told otherwise. */
    static final String FIRECRACKER_API_SOCK = "/run/firecracker.socket";
    /**
     * The VMM's umask: whatever it creates (its API socket, log, metrics, snapshot files) is its
     * own, whatever umask the jailer's caller had.
     */
    static final int VMM_UMASK = 0077;

    private JailConfig config;
    private final Path root;
    private final Undo undo = new Undo();
    private int netnsFd = -1;
    private int devNullFd = -1;
    private String[] argv;
    private Privileges privileges;
    /** The VMM's host PID once spawned (--new-pid-ns); signals to the jailer go to it. */
    private volatile long child;
    private volatile int pendingSignal;
    /**
     * SIGHUP was ignored when the jailer started (nohup, some supervisors). The VMM must not
     * inherit that: a JVM installs no handler for a signal ignored at its start, and the VMM
     * ends on SIGHUP with Firecracker's status 156, which Firecracker does under nohup too.
     */
    private boolean hangupIgnored;

    Jail(JailConfig config) {
        this.config = config;
        this.root = config.rootDir();
    }

    /**
     * Builds the jail and execs the VMM; returns only with {@code --new-pid-ns}, with the exit
     * status the jailer should end with. Throws {@link JailerException} after undoing its work.
     */
    int run() {
        // Runs clean-up with the host's view of the file system (see the class comment).
        HostThread hostThread = HostThread.start("jailer-host-cleanup");
        try {
            // Explicit modes below; this is for what the VMM creates, and what a library might.
            Sys.syscall(Sys.SYS_UMASK, VMM_UMASK, 0, 0);
            createBaseDirectory();
            if (config.uid() == JailConfig.ALLOCATE) {
                // The lock is held until the root belongs to the id (prepareRoot).
                try (UidAllocator ids = UidAllocator.allocate(config.chrootBaseDir(), config.uidRange())) {
                    config = config.withIds(ids.id(), ids.id());
                    prepareRoot();
                }
            } else {
                prepareRoot();
            }
            setResourceLimits();
            if (!config.cgroups().isEmpty()) {
                // Without --cgroup nothing is created (Cgroups), and the mount table is not needed.
                Cgroups.plan(config, MountTable.read(), readLines(Path.of("/proc/self/cgroup"))).apply(Sys.getpid(), undo);
            }
            // Before openHandles, so that the AOT training run (which stops at a missing --netns
            // there) covers it too.
            warmUp();
            openHandles();
            enterJail();
            joinNetns();
            daemonize();
            if (config.newPidNs()) {
                // Needs CAP_SYS_ADMIN, so before dropping privileges; from here on this thread can
                // start no thread of its own (a thread must live in its process's PID namespace),
                // only the VMM's first process: nothing below may start a Java thread.
                check(Sys.syscall(Sys.SYS_UNSHARE, LibC.CLONE_NEWPID, 0, 0), "unshare(CLONE_NEWPID): new PID namespace for the VMM");
            }
            privileges.dropTo(config.uid(), config.gid());
            prepareExec();
            undo.clear();   // from here on the jail belongs to the VMM
            return config.newPidNs() ? spawnInNewPidNamespace() : execVmm();
        } catch (RuntimeException e) {
            try {
                if (!hostThread.run(undo::runAll, 30_000)) {
                    System.err.println("ember-jailer: cleanup did not finish within 30 s");
                }
            } catch (InterruptedException cleanupInterrupted) {
                System.err.println("ember-jailer: cleanup did not finish: interrupted");
            }
            if (e instanceof JailerException je) {
                throw je;
            }
            throw new JailerException("building the jail failed: " + e, e);
        } finally {
            hostThread.stop();
        }
    }

    /**
     * <root> (0700) with dev/kvm, dev/net/tun, dev/urandom, dev/null, dev/userfaultfd (when the host has it), run/ (0700) and the mount points;
     * root, run/ and the nodes owned by uid:gid. Every mode is set explicitly, whatever the umask
     * of the jailer's caller: <base>/<exec-name> 0755, the VM's directory 0700.
     */
    private void prepareRoot() {
        createDirectories(config.jailDir().getParent(), 0755);
        createDirectories(config.jailDir(), 0700);
        createDirectories(root, 0700);
        refuseSymlink(root);
        chown(root);
        chmod(root, 0700);
        for (String dir : new String[] {"dev", "dev/net", "run", "ember", "lib", "lib64", OLD_ROOT}) {
            Path p = root.resolve(dir);
            // The root belongs to the VM's uid: an earlier VMM with this id could have left links
            // that would send mknod, chown or a mount elsewhere.
            refuseSymlink(p);
            if (!Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                createDirectory(p, dir.equals("run") || dir.equals(OLD_ROOT) ? 0700 : 0755);
            }
        }
        chown(root.resolve("run"));
        chmod(root.resolve("run"), 0700);
        for (DeviceNode node : DeviceNode.values()) {
            Path p = root.resolve(node.path);
            if (Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                throw new JailerException(p + " already exists: the jail of an earlier VM with id " + config.id()
                        + " was not cleaned up (ember-launch --stop " + config.id() + " removes it)");
            }
            check(Sys.mknod(p.toString(), LibC.S_IFCHR | node.mode, Sys.makedev(node.major, node.minor)),
                    "mknod " + p + " (" + node.major + ":" + node.minor + "; the jail must be on a file system mounted without nodev)");
            undo.push("remove " + p, () -> Files.deleteIfExists(p));
            chown(p);
            chmod(p, node.mode);
        }
        makeUserfaultfdNode();
    }

    /**
     * /dev/userfaultfd, when the host has it (Linux 6.1+; a misc device with a dynamic minor, so
     * its numbers are the host's), as Firecracker's jailer does: the jailed VMM, unprivileged,
     * creates the userfaultfd of a Uffd snapshot load through it (docs/snapshots.md).
     */
    private void makeUserfaultfdNode() {
        Path host = Path.of("/dev/userfaultfd");
        long rdev;
        try {
            if (!Files.exists(host)) {
                return;
            }
            rdev = ((Number) Files.getAttribute(host, "unix:rdev")).longValue();
        } catch (java.io.IOException | UnsupportedOperationException e) {
            return; // no node to copy: a Uffd load then needs the userfaultfd system call
        }
        Path p = root.resolve("dev/userfaultfd");
        check(Sys.mknod(p.toString(), LibC.S_IFCHR | 0600, rdev), "mknod " + p + " (the host's /dev/userfaultfd)");
        undo.push("remove " + p, () -> Files.deleteIfExists(p));
        chown(p);
        chmod(p, 0600);
    }

    private static void chmod(Path p, int mode) {
        check(Sys.chmod(p.toString(), mode), "chmod " + Integer.toOctalString(mode) + " " + p);
    }

    private void refuseSymlink(Path p) {
        if (Files.isSymbolicLink(p)) {
            throw new JailerException(p + " is a symbolic link; the jail of an earlier VM with id " + config.id()
                    + " was tampered with or not cleaned up (ember-launch --stop " + config.id() + " removes it)");
        }
    }

    /**
     * The chroot base's missing levels, 0755, kept even if the start fails: the base is shared by
     * every jail and keeps the uid lock, which another jailer may hold open.
     */
    private void createBaseDirectory() {
        Path base = config.chrootBaseDir();
        try {
            if (!Files.isDirectory(base)) {
                Files.createDirectories(base);
                chmod(base, 0755);
            }
        } catch (IOException e) {
            throw new JailerException("--chroot-base-dir " + base + ": cannot create it: " + Cgroups.reason(e), e);
        }
    }

    /** The missing levels of {@code dir}, each with {@code mode}; existing ones are left as they are. */
    private void createDirectories(Path dir, int mode) {
        List<Path> missing = new ArrayList<>();
        for (Path p = dir; p != null && !Files.isDirectory(p); p = p.getParent()) {
            missing.add(0, p);
        }
        for (Path p : missing) {
            createDirectory(p, mode);
        }
    }

    private void createDirectory(Path p, int mode) {
        try {
            Files.createDirectory(p);
        } catch (IOException e) {
            throw new JailerException("cannot create " + p + ": " + Cgroups.reason(e), e);
        }
        undo.push("remove " + p, () -> Files.deleteIfExists(p));
        chmod(p, mode);
    }

    private void chown(Path p) {
        check(Sys.chown(p.toString(), config.uid(), config.gid()), "chown " + config.uid() + ":" + config.gid() + " " + p);
    }

    private void setResourceLimits() {
        List<ResourceLimit> limits = config.resourceLimits().isEmpty() ? List.of(ResourceLimit.DEFAULT_NO_FILE) : config.resourceLimits();
        for (ResourceLimit l : limits) {
            check(Sys.setrlimit(l.resource(), l.value()), "--resource-limit " + l.name() + "=" + l.value()
                    + " (raising a hard limit needs CAP_SYS_RESOURCE)");
        }
    }

    private void openHandles() {
        if (config.netns() != null) {
            netnsFd = check(Sys.open(config.netns().toString(), LibC.O_RDONLY | LibC.O_CLOEXEC),
                    "--netns " + config.netns() + ": cannot open the network namespace (e.g. made by `ip netns add NAME`: /var/run/netns/NAME)");
        }
        if (config.daemonize()) {
            devNullFd = check(Sys.open("/dev/null", LibC.O_RDWR | LibC.O_CLOEXEC), "open /dev/null for --daemonize");
        }
    }

    /**
     * Reads now, with the host's file system in view, what is needed after pivot_root: /proc
     * (the CPU clock, the ids, the signal dispositions) is not in the jail. Nothing after it logs
     * a time, so the JDK's time zone data (lib/tzdb.dat, ~5 ms to read) is left alone.
     */
    private void warmUp() {
        argv = argv();   // reads the CPU clock through /proc, which the jail does not have
        // A system call failing in the jail is reported with errno's text; the classes that read
        // it must be loaded now, as the jailer's class path is not in the jail.
        Sys.failure("warm-up", Sys.errno());
        privileges = Privileges.read();
        hangupIgnored = ignoresHangup(readLines(Path.of("/proc/self/status")));
        if (config.newPidNs() && !config.daemonize()) {
            forwardSignalsToTheVmm();
        }
    }

    /**
     * With --new-pid-ns the jailer waits for the VMM, its child: a SIGTERM, SIGINT or SIGHUP sent
     * to the jailer (the process its caller started) goes on to the VMM, which ends cleanly and
     * whose status the jailer then exits with. The JVM runs handlers on a thread the signal
     * dispatcher starts, which, unlike the jailer thread after unshare(CLONE_NEWPID), may.
     */
    @SuppressWarnings("restriction")
    private void forwardSignalsToTheVmm() {
        for (String name : new String[] {"TERM", "INT", "HUP"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> {
                long pid = child;
                if (pid > 0) {
                    Sys.syscall(Sys.SYS_KILL, pid, sig.getNumber(), 0);
                } else {
                    pendingSignal = sig.getNumber();
                }
            });
        }
    }

    /** Whether a /proc/PID/status's {@code SigIgn} mask (hexadecimal, bit n-1 for signal n) holds SIGHUP. */
    static boolean ignoresHangup(List<String> status) {
        for (String line : status) {
            if (line.startsWith("SigIgn:")) {
                return (Long.parseUnsignedLong(line.substring("SigIgn:".length()).trim(), 16) & (1L << (Sys.SIGHUP - 1))) != 0;
            }
        }
        throw new JailerException("/proc/self/status has no SigIgn line");
    }

    /** A mount namespace of slave mounts; the runtime image read-only; pivot_root into the jail. */
    private void enterJail() {
        check(Sys.syscall(Sys.SYS_UNSHARE, LibC.CLONE_NEWNS, 0, 0), "unshare(CLONE_NEWNS): new mount namespace");
        // Slave, as Firecracker's jailer does, not private: nothing mounted in the jail reaches
        // the host, but a bind mount an orchestrator makes later over a placeholder in the jail
        // root (Kata's block hot-plug) reaches the jail, provided the root is a shared mount.
        check(Sys.mount(null, "/", LibC.MS_REC | LibC.MS_SLAVE), "making all mounts slaves in the new mount namespace");
        String r = root.toString();
        check(Sys.mount(r, r, LibC.MS_BIND | LibC.MS_REC), "bind-mounting the jail root " + r + " onto itself");
        RuntimeImage image = config.image();
        bindReadOnly(image.home(), root.resolve("ember"));
        bindReadOnly(image.home().resolve("sysroot/lib"), root.resolve("lib"));
        bindReadOnly(image.home().resolve("sysroot/lib64"), root.resolve("lib64"));
        check(Sys.pathCall(Sys.SYS_CHDIR, r, 0, 0), "chdir " + r);
        check(Sys.pivotRoot(".", OLD_ROOT), "pivot_root into " + r);
        check(Sys.pathCall(Sys.SYS_CHDIR, "/", 0, 0), "chdir / in the jail");
        check(Sys.umount2("/" + OLD_ROOT, LibC.MNT_DETACH), "unmounting the host's file system from the jail");
        check(Sys.pathCall(Sys.SYS_RMDIR, "/" + OLD_ROOT, 0, 0), "removing /" + OLD_ROOT + " in the jail");
        check(Sys.pathCall(Sys.SYS_CHROOT, ".", 0, 0), "chroot into the jail");
    }

    private static void bindReadOnly(Path source, Path target) {
        String s = source.toString();
        String t = target.toString();
        check(Sys.mount(s, t, LibC.MS_BIND | LibC.MS_REC), "bind-mounting " + s + " at " + t);
        check(Sys.mount(null, t, LibC.MS_BIND | LibC.MS_REMOUNT | LibC.MS_RDONLY | LibC.MS_NOSUID | LibC.MS_NODEV),
                "making " + t + " read-only");
    }

    private void joinNetns() {
        if (netnsFd >= 0) {
            check(Sys.syscall(Sys.SYS_SETNS, netnsFd, LibC.CLONE_NEWNET, 0), "--netns " + config.netns() + ": setns(CLONE_NEWNET)");
            Sys.close(netnsFd);
        }
    }

    private void daemonize() {
        if (!config.daemonize()) {
            return;
        }
        if (Sys.syscall(Sys.SYS_SETSID, 0, 0, 0) < 0) {
            throw new JailerException("--daemonize: setsid failed (" + RawLibc.strerror(Sys.errno())
                    + "): the jailer leads its process group; start it from a script, not as a job of an interactive shell nor through setsid(1)");
        }
        System.out.flush();
        System.err.flush();
        for (int fd = 0; fd <= 2; fd++) {
            check(Sys.syscall(Sys.SYS_DUP2, devNullFd, fd, 0), "--daemonize: redirecting fd " + fd + " to /dev/null");
        }
        Sys.close(devNullFd);
    }

    /** NO_NEW_PRIVS, a clean signal mask and close-on-exec on every descriptor above stderr. */
    private void prepareExec() {
        check(Sys.syscall(Sys.SYS_PRCTL, LibC.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)");
        check(Sys.clearSignalMask(), "clearing the signal mask");
        // The JVM holds many descriptors (jars, epoll, pipes): none may reach the VMM.
        check(Sys.syscall(Sys.SYS_CLOSE_RANGE, 3, 0xffffffffL, LibC.CLOSE_RANGE_CLOEXEC), "close_range(3, ~0, CLOSE_RANGE_CLOEXEC)");
    }

    private String[] argv() {
        List<String> argv = new ArrayList<>();
        argv.add(config.image().jailedExecPath());
        argv.add("@" + RuntimeImage.MOUNT_POINT + "/app/jvm.args");
        argv.add("-Dember.jail.id=" + config.id());
        argv.add(config.mainClass());
        if (config.mainClass().equals(JailConfig.VMM_MAIN_CLASS)) {
            // As Firecracker's jailer does: the VMM learns its id (logs, GET /) from the jailer,
            // and when the start began, so that its start-up figures include the jailer's work.
            argv.add("--id=" + config.id());
            if (!config.vmmArgs().stream().anyMatch(a -> a.equals("--api-sock") || a.startsWith("--api-sock=") || a.equals("--no-api"))) {
                // Firecracker's default socket, where orchestrators look for it (Ember's own
                // default, /run/ember.socket, applies when ember runs unjailed).
                argv.add("--api-sock=" + FIRECRACKER_API_SOCK);
            }
            argv.add("--start-time-us=" + Main.START_US);
            if (config.newPidNs()) {
                // A new process: its CPU clock starts at zero; the jailer's own time is added.
                argv.add("--start-time-cpu-us=0");
                argv.add("--parent-cpu-time-us=" + Math.max(0, ProcessCpuTime.micros() - Main.START_CPU_US));
            } else {
                // The same process after exec: CPU time carries on; what the JVM used before main is left out.
                argv.add("--start-time-cpu-us=" + Main.START_CPU_US);
            }
        }
        argv.addAll(config.vmmArgs());
        return argv.toArray(new String[0]);
    }

    /** The launcher finds libjli.so through $ORIGIN, which needs /proc; the jail has none. */
    private static String[] env() {
        return new String[] {"LD_LIBRARY_PATH=" + RuntimeImage.MOUNT_POINT + "/lib"};
    }

    /**
     * Firecracker's jailer names the file after the exec file ({@code <exec-file name>.pid}), and
     * orchestrators built for it (Kata Containers) read {@code firecracker.pid}: both are written.
     */
    private List<Path> pidFiles() {
        List<Path> files = new ArrayList<>(List.of(Path.of("/" + FIRECRACKER_PID_FILE)));
        String own = config.image().execName() + ".pid";
        if (!own.equals(FIRECRACKER_PID_FILE)) {
            files.add(Path.of("/" + own));
        }
        return files;
    }

    private int execVmm() {
        writePidFile(Sys.getpid());
        if (hangupIgnored) {
            Sys.defaultHangup();
        }
        Sys.execve(argv[0], argv, env());
        throw Sys.failure("execve " + argv[0] + " in the jail", Sys.errno());
    }

    private int spawnInNewPidNamespace() {
        long pid = Sys.posixSpawnp(argv[0], argv, env(), hangupIgnored, "starting " + argv[0] + " in a new PID namespace");
        child = pid;
        writePidFile(pid);
        if (config.daemonize()) {
            return 0;
        }
        int early = pendingSignal;
        if (early != 0) {
            Sys.syscall(Sys.SYS_KILL, pid, early, 0);
        }
        long status;
        while ((status = Sys.waitpid(pid)) < 0) {
            if (Sys.errno() != LibC.EINTR) {
                throw Sys.failure("waiting for the VMM (pid " + pid + ")", Sys.errno());
            }
        }
        int s = (int) status;
        return (s & 0x7f) == 0 ? (s >> 8) & 0xff : 128 + (s & 0x7f);
    }

    /** Mode 0644: anyone on the host may learn which process a jail's VMM is. */
    private void writePidFile(long pid) {
        for (Path file : pidFiles()) {
            try {
                Files.writeString(file, pid + "\n", StandardCharsets.US_ASCII);
            } catch (IOException e) {
                throw new JailerException("cannot write " + root + file + ": " + Cgroups.reason(e), e);
            }
            chmod(file, 0644);
        }
    }

    private static List<String> readLines(Path p) {
        try {
            return Files.readAllLines(p);
        } catch (IOException e) {
            throw new JailerException("cannot read " + p + ": " + e.getMessage(), e);
        }
    }
}
