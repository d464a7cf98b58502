package dev.ember.jailer;

import static dev.ember.jailer.Sys.check;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Drops the jailer thread's privileges to the VM's uid and gid, and empties the capability
 * bounding set so that nothing the VMM execs (it execs nothing) nor the VMM itself can gain a
 * capability back. A VMM run as uid 0 (Kata Containers runs Firecracker so) keeps
 * CAP_DAC_OVERRIDE alone, so that it can open the files its orchestrator made for it with mode 0
 * (Kata's logger and metrics FIFOs); at any other uid it keeps none.
 *
 * <p>Raw system calls, not glibc's wrappers: the kernel keeps credentials (and the bounding set)
 * per thread, and glibc would copy a change to every thread. Only this thread's credentials
 * reach the VMM (exec or posix_spawn from it), and the clean-up thread keeps root to undo the
 * jail on failure.
 */
final class Privileges {
    /** x86_64 numbers of the per-thread credential calls (asm/unistd_64.h). */
    static final long SYS_GETUID = 102, SYS_GETGID = 104, SYS_SETRESUID = 117, SYS_SETRESGID = 119, SYS_SETGROUPS = 116;
    /** linux/prctl.h and linux/capability.h. */
    static final int PR_CAPBSET_DROP = 24, PR_CAP_AMBIENT = 47, PR_CAP_AMBIENT_CLEAR_ALL = 4, CAP_DAC_OVERRIDE = 1;

    private final int lastCap;

    private Privileges(int lastCap) {
        this.lastCap = lastCap;
    }

    /** Reads the host's highest capability number now: the jail has no /proc. */
    static Privileges read() {
        Path p = Path.of("/proc/sys/kernel/cap_last_cap");
        try {
            // readAllLines, not readString: on JDK 25 readString returns only the first byte of a
            // /proc/sys file ("4" for "40"), which reports a size of 0.
            return new Privileges(Integer.parseInt(Files.readAllLines(p).get(0).trim()));
        } catch (IOException | RuntimeException e) {
            throw new JailerException("cannot read " + p + ": " + e.getMessage(), e);
        }
    }

    /** Bounding set, ambient set, supplementary groups, gid, uid; then checks that they took. */
    void dropTo(int uid, int gid) {
        for (int cap = 0; cap <= lastCap; cap++) {
            if (uid == 0 && cap == CAP_DAC_OVERRIDE) {
                continue;
            }
            check(Sys.syscall(Sys.SYS_PRCTL, PR_CAPBSET_DROP, cap, 0, 0, 0), "dropping capability " + cap + " from the bounding set (prctl PR_CAPBSET_DROP)");
        }
        check(Sys.syscall(Sys.SYS_PRCTL, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clearing the ambient capabilities");
        check((int) Sys.syscall(SYS_SETGROUPS, 0, 0, 0), "clearing supplementary groups (setgroups)");
        check((int) Sys.syscall(SYS_SETRESGID, gid, gid, gid), "--gid " + gid + ": setresgid");
        check((int) Sys.syscall(SYS_SETRESUID, uid, uid, uid), "--uid " + uid + ": setresuid");
        long ruid = Sys.syscall(SYS_GETUID, 0, 0, 0);
        long rgid = Sys.syscall(SYS_GETGID, 0, 0, 0);
        if (ruid != uid || rgid != gid) {
            throw new JailerException("dropping privileges did not take: this thread runs as uid " + ruid + " gid " + rgid);
        }
    }
}
