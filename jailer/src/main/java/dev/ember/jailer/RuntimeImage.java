package dev.ember.jailer;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The self-contained runtime the jailed VMM runs from, built by the jailer module's Maven build
 * (jailer/target/ember-runtime): a jlink image of the JDK with only the modules Ember needs, its
 * {@code java} launcher also as {@code bin/ember}, the application jars in {@code app/} with
 * {@code app/jvm.args}, jffi's native stub in {@code native/}, and the host's shared libraries the
 * image needs (found with ldd) in {@code sysroot/}. Inside the jail it is mounted read-only at
 * {@link #MOUNT_POINT}; sysroot/lib and sysroot/lib64 become the jail's /lib and /lib64.
 */
public record RuntimeImage(Path home, Path execFile) {
    public static final String MOUNT_POINT = "/ember";

    /** Checks that {@code execFile} is {@code bin/<name>} of a complete runtime image. */
    public static RuntimeImage of(Path execFile) {
        Path exec = execFile.toAbsolutePath().normalize();
        String hint = "; --exec-file must be the bin/ember launcher of an Ember runtime image (bin/build makes jailer/target/ember-runtime)";
        if (!Files.isRegularFile(exec) || !Files.isExecutable(exec)) {
            throw JailerException.usage("--exec-file " + execFile + ": no such executable file" + hint);
        }
        Path home = exec.getParent() == null ? null : exec.getParent().getParent();
        if (home == null || !exec.getParent().getFileName().toString().equals("bin")) {
            throw JailerException.usage("--exec-file " + execFile + ": not in the bin/ directory of a runtime image" + hint);
        }
        // app/jvm.args first: it is what makes a directory an Ember image. The JDK-shaped parts are
        // common elsewhere (under merged /usr, /bin/true's home /usr has lib/modules as soon as a
        // kernel package is installed), so naming one of them missing would mislead.
        if (!Files.isRegularFile(home.resolve("app/jvm.args"))) {
            throw JailerException.usage("--exec-file " + execFile + ": " + home + " is not an Ember runtime image (it has no app/jvm.args)" + hint);
        }
        for (String part : new String[] {"lib/modules", "lib/libjli.so", "sysroot/lib", "sysroot/lib64"}) {
            if (!Files.exists(home.resolve(part))) {
                throw JailerException.usage("--exec-file " + execFile + ": the runtime image " + home + " has no " + part + hint);
            }
        }
        return new RuntimeImage(home, exec);
    }

    /** The exec file's name: the jail lives under {@code <chroot-base>/<execName>/<id>}. */
    public String execName() {
        return execFile.getFileName().toString();
    }

    /** The launcher's path as the jailed process sees it. */
    public String jailedExecPath() {
        return MOUNT_POINT + "/" + home.relativize(execFile);
    }
}
