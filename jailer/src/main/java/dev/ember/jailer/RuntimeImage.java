package dev.ember.jailer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The self-contained runtime the jailed VMM runs from, built by the jailer module's Maven build
 * (jailer/target/ember-runtime): a jlink image of the JDK with only the modules Ember needs, its
 * {@code java} launcher also as {@code bin/ember-vmm} (what runs in the jail), {@code bin/ember}
 * (the VMM from the image on the host), the application jars in {@code app/} with
 * {@code app/jvm.args}, jffi's native stub in {@code native/}, and the host's shared libraries the
 * image needs (found with ldd) in {@code sysroot/}. Inside the jail it is mounted read-only at
 * {@link #MOUNT_POINT}; sysroot/lib and sysroot/lib64 become the jail's /lib and /lib64.
 *
 * @param home the image's directory
 * @param execFile the --exec-file as given: its file name names the jail and the default parent cgroup
 */
public record RuntimeImage(Path home, Path execFile) {
    public static final String MOUNT_POINT = "/ember";
    /** The launcher the jailer runs, relative to the image. */
    static final String LAUNCHER = "bin/ember-vmm";
    /** Where a repository's build leaves the image, relative to the repository root. */
    static final String REPOSITORY_IMAGE = "jailer/target/ember-runtime";

    /**
     * Finds the image {@code execFile} stands for: {@code bin/<name>} of an image, or the
     * repository's {@code bin/ember} (the image its build made), through symbolic links, so that
     * one path serves as an orchestrator's hypervisor path for {@code --version} and as the
     * jailer's {@code --exec-file}.
     */
    public static RuntimeImage of(Path execFile) {
        String hint = "; --exec-file must be the repository's bin/ember or bin/ember of an Ember runtime image"
                + " (bin/build makes " + REPOSITORY_IMAGE + ")";
        Path exec = execFile.toAbsolutePath().normalize();
        if (!Files.isRegularFile(exec) || !Files.isExecutable(exec)) {
            throw JailerException.usage("--exec-file " + execFile + ": no such executable file" + hint);
        }
        Path real;
        try {
            real = exec.toRealPath();
        } catch (IOException e) {
            throw JailerException.usage("--exec-file " + execFile + ": cannot resolve it (" + e.getMessage() + ")" + hint);
        }
        Path dir = real.getParent();
        if (dir == null || dir.getParent() == null || !dir.getFileName().toString().equals("bin")) {
            throw JailerException.usage("--exec-file " + execFile + ": not in the bin/ directory of a runtime image or of the repository" + hint);
        }
        Path home = dir.getParent();
        // app/jvm.args first: it is what makes a directory an Ember image. The JDK-shaped parts are
        // common elsewhere (under merged /usr, /bin/true's home /usr has lib/modules as soon as a
        // kernel package is installed), so naming one of them missing would mislead.
        if (!Files.isRegularFile(home.resolve("app/jvm.args"))) {
            Path built = home.resolve(REPOSITORY_IMAGE);
            if (!Files.isRegularFile(home.resolve("bin/ember-jailer"))) {
                throw JailerException.usage("--exec-file " + execFile + ": " + home + " is not an Ember runtime image (it has no app/jvm.args)"
                        + " nor an Ember repository (no bin/ember-jailer)" + hint);
            }
            if (!Files.isRegularFile(built.resolve("app/jvm.args"))) {
                throw JailerException.usage("--exec-file " + execFile + ": the repository " + home + " has no runtime image yet (" + built
                        + "); run bin/build");
            }
            home = built;
        }
        for (String part : new String[] {LAUNCHER, "lib/modules", "lib/libjli.so", "sysroot/lib", "sysroot/lib64"}) {
            if (!Files.exists(home.resolve(part))) {
                throw JailerException.usage("--exec-file " + execFile + ": the runtime image " + home + " has no " + part + hint);
            }
        }
        return new RuntimeImage(home, exec);
    }

    /** The exec file's name as given: the jail lives under {@code <chroot-base>/<execName>/<id>}. */
    public String execName() {
        return execFile.getFileName().toString();
    }

    /** The launcher's path as the jailed process sees it. */
    public String jailedExecPath() {
        return MOUNT_POINT + "/" + LAUNCHER;
    }
}
