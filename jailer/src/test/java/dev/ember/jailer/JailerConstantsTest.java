package dev.ember.jailer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.sys.LibC;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The flag values and system call numbers the jailer passes to the kernel, against the C headers. */
class JailerConstantsTest {
    @TempDir
    Path dir;

    @Test
    void constantsMatchTheHeaders() throws Exception {
        String[][] expr = {
            {"CLONE_NEWNS", Long.toString(LibC.CLONE_NEWNS)}, {"CLONE_NEWNET", Long.toString(LibC.CLONE_NEWNET)},
            {"CLONE_NEWPID", Long.toString(LibC.CLONE_NEWPID)}, {"MS_RDONLY", Long.toString(LibC.MS_RDONLY)},
            {"MS_NOSUID", Long.toString(LibC.MS_NOSUID)}, {"MS_NODEV", Long.toString(LibC.MS_NODEV)},
            {"MS_REMOUNT", Long.toString(LibC.MS_REMOUNT)}, {"MS_BIND", Long.toString(LibC.MS_BIND)},
            {"MS_REC", Long.toString(LibC.MS_REC)}, {"MS_SLAVE", Long.toString(LibC.MS_SLAVE)},
            {"MNT_DETACH", Long.toString(LibC.MNT_DETACH)}, {"S_IFCHR", Long.toString(LibC.S_IFCHR)},
            {"CLOSE_RANGE_CLOEXEC", Long.toString(LibC.CLOSE_RANGE_CLOEXEC)},
            {"SYS_pivot_root", Long.toString(Sys.SYS_PIVOT_ROOT)}, {"SYS_close_range", Long.toString(Sys.SYS_CLOSE_RANGE)},
            {"SYS_close", Long.toString(Sys.SYS_CLOSE)}, {"SYS_getpid", Long.toString(Sys.SYS_GETPID)}, {"SYS_rt_sigprocmask", Long.toString(Sys.SYS_RT_SIGPROCMASK)},
            {"SYS_dup2", Long.toString(Sys.SYS_DUP2)}, {"SYS_execve", Long.toString(Sys.SYS_EXECVE)},
            {"SYS_wait4", Long.toString(Sys.SYS_WAIT4)}, {"SYS_kill", Long.toString(Sys.SYS_KILL)},
            {"SYS_chdir", Long.toString(Sys.SYS_CHDIR)}, {"SYS_rmdir", Long.toString(Sys.SYS_RMDIR)},
            {"SYS_chmod", Long.toString(Sys.SYS_CHMOD)}, {"SYS_chown", Long.toString(Sys.SYS_CHOWN)},
            {"SYS_umask", Long.toString(Sys.SYS_UMASK)}, {"SYS_setsid", Long.toString(Sys.SYS_SETSID)},
            {"SYS_mknod", Long.toString(Sys.SYS_MKNOD)}, {"SYS_prctl", Long.toString(Sys.SYS_PRCTL)},
            {"SYS_setrlimit", Long.toString(Sys.SYS_SETRLIMIT)}, {"SYS_chroot", Long.toString(Sys.SYS_CHROOT)},
            {"SYS_mount", Long.toString(Sys.SYS_MOUNT)}, {"SYS_umount2", Long.toString(Sys.SYS_UMOUNT2)},
            {"SYS_openat", Long.toString(Sys.SYS_OPENAT)}, {"SYS_unshare", Long.toString(Sys.SYS_UNSHARE)},
            {"SYS_setns", Long.toString(Sys.SYS_SETNS)}, {"AT_FDCWD", Long.toString(Sys.AT_FDCWD)},
            {"SIG_SETMASK", "2"}, {"SIGHUP", Long.toString(Sys.SIGHUP)}, {"(long) SIG_DFL", Long.toString(Sys.SIG_DFL)},
            {"(long) SIG_IGN", Long.toString(Sys.SIG_IGN)}, {"POSIX_SPAWN_SETSIGDEF", Long.toString(Sys.POSIX_SPAWN_SETSIGDEF)},
            {"sizeof(posix_spawnattr_t)", Long.toString(Sys.SPAWNATTR_BYTES)}, {"sizeof(sigset_t)", Long.toString(Sys.LIBC_SIGSET_BYTES)}, {"sizeof(struct rlimit)", "16"},
            {"SYS_getuid", Long.toString(Privileges.SYS_GETUID)}, {"SYS_getgid", Long.toString(Privileges.SYS_GETGID)},
            {"SYS_setresuid", Long.toString(Privileges.SYS_SETRESUID)}, {"SYS_setresgid", Long.toString(Privileges.SYS_SETRESGID)},
            {"SYS_setgroups", Long.toString(Privileges.SYS_SETGROUPS)},
            {"PR_CAPBSET_DROP", Long.toString(Privileges.PR_CAPBSET_DROP)}, {"PR_CAP_AMBIENT", Long.toString(Privileges.PR_CAP_AMBIENT)},
            {"PR_CAP_AMBIENT_CLEAR_ALL", Long.toString(Privileges.PR_CAP_AMBIENT_CLEAR_ALL)},
            {"CAP_DAC_OVERRIDE", Long.toString(Privileges.CAP_DAC_OVERRIDE)},
            {"RLIMIT_FSIZE", Long.toString(ResourceLimit.RLIMIT_FSIZE)}, {"RLIMIT_NOFILE", Long.toString(ResourceLimit.RLIMIT_NOFILE)},
            {"makedev(10, 232)", Long.toString(Sys.makedev(10, 232))}, {"makedev(4095, 1048575)", Long.toString(Sys.makedev(4095, 1048575))},
            {"makedev(300000, 7)", Long.toString(Sys.makedev(300000, 7))},
        };
        StringBuilder c = new StringBuilder("#define _GNU_SOURCE\n#include <sched.h>\n#include <sys/mount.h>\n#include <sys/stat.h>\n"
                + "#include <sys/syscall.h>\n#include <sys/prctl.h>\n#include <linux/capability.h>\n#include <sys/resource.h>\n#include <sys/sysmacros.h>\n#include <linux/close_range.h>\n#include <fcntl.h>\n#include <signal.h>\n#include <spawn.h>\n#include <stdio.h>\nint main(void){\n");
        for (String[] e : expr) {
            c.append("printf(\"%s %llu\\n\", \"").append(e[0].replace("\"", "")).append("\", (unsigned long long)(").append(e[0]).append("));\n");
        }
        c.append("return 0;}\n");
        Path src = Files.writeString(dir.resolve("c.c"), c.toString());
        Path exe = dir.resolve("c");
        Process cc = new ProcessBuilder("gcc", "-o", exe.toString(), src.toString()).redirectErrorStream(true).start();
        String ccOut = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, cc.waitFor(), ccOut);
        Process run = new ProcessBuilder(exe.toString()).start();
        String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        run.waitFor(10, TimeUnit.SECONDS);
        Map<String, String> headers = new HashMap<>();
        for (String line : out.split("\n")) {
            int sp = line.lastIndexOf(' ');
            headers.put(line.substring(0, sp), line.substring(sp + 1));
        }
        for (String[] e : expr) {
            assertEquals(headers.get(e[0]), Long.toUnsignedString(Long.parseLong(e[1])), e[0]);
        }
    }
}
