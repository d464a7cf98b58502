package dev.ember.jailer.probe;

import dev.ember.seccomp.json.SeccompFilters;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A stand-in VMM for the jailer's integration tests, run inside the jail from a test runtime
 * image. Arguments: {@code seccomp-default} installs the VMM's built-in filter, {@code
 * seccomp-file:PATH} a filter file. It prints {@code ready <pid>}, then answers one line per
 * command read from stdin:
 * {@code open PATH} / {@code write PATH} (open read-only / create for writing: "ok" or the errno
 * name), {@code populate MIB} (map and touch that much anonymous memory), {@code syscall NR}
 * (a raw call with no arguments), {@code tgkill PID} (signal 0 to another process: may this process
 * signal it?), {@code prlimit PID} (read its RLIMIT_NOFILE: may this process change its limits?),
 * {@code umask} (this process's umask, octal), {@code exit}.
 */
public final class JailProbe {
    /** asm/unistd_64.h, sys/resource.h. */
    private static final long SYS_UMASK = 95, SYS_TGKILL = 234, SYS_PRLIMIT64 = 302, RLIMIT_NOFILE = 7;

    private static String result(long rc) {
        return rc < 0 ? "errno " + Native.errno() : "ok " + rc;
    }

    public static void main(String[] args) throws Exception {
        for (String a : args) {
            if (a.equals("seccomp-default")) {
                SeccompFilters.installDefault();
            } else if (a.startsWith("seccomp-file:")) {
                SeccompFilters.install(Path.of(a.substring("seccomp-file:".length())));
            } else {
                throw new IllegalArgumentException(a);
            }
        }
        System.out.println("ready " + Native.LIBC.getpid());
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String[] cmd = line.split(" ", 2);
            String result = switch (cmd[0]) {
                case "open" -> open(cmd[1], LibC.O_RDONLY);
                case "write" -> open(cmd[1], LibC.O_WRONLY | LibC.O_CREAT);
                case "populate" -> populate(Long.parseLong(cmd[1]));
                case "syscall" -> {
                    long rc = Native.LIBC.syscall(Long.parseLong(cmd[1]), 0, 0, 0);
                    yield rc < 0 ? "errno " + Native.errno() : "ok " + rc;
                }
                case "tgkill" -> result(Native.LIBC.syscall(SYS_TGKILL, Long.parseLong(cmd[1]), Long.parseLong(cmd[1]), 0));
                case "prlimit" -> result(Native.LIBC.syscall(SYS_PRLIMIT64, Long.parseLong(cmd[1]), RLIMIT_NOFILE, 0,
                        Native.allocate(16).address(), 0, 0));
                case "umask" -> {
                    long old = Native.LIBC.syscall(SYS_UMASK, 0, 0, 0);
                    Native.LIBC.syscall(SYS_UMASK, old, 0, 0);
                    yield "0" + Long.toOctalString(old);
                }
                case "exit" -> {
                    System.out.println("bye");
                    System.out.flush();
                    System.exit(0);
                    yield "";
                }
                default -> "unknown command " + cmd[0];
            };
            System.out.println(cmd[0] + ": " + result);
            System.out.flush();
        }
    }

    private static String open(String path, int flags) {
        int fd = Native.LIBC.open(path, flags | LibC.O_CLOEXEC, 0600);
        if (fd < 0) {
            return "errno " + Native.errno();
        }
        Native.LIBC.close(fd);
        return "ok";
    }

    private static String populate(long mib) {
        long len = mib << 20;
        long addr = Native.mmap(0, len, LibC.PROT_READ | LibC.PROT_WRITE,
                LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_POPULATE, -1, 0);
        if (addr == LibC.MAP_FAILED) {
            return "errno " + Native.errno();
        }
        Native.LIBC.munmap(addr, len);
        return "ok " + mib;
    }
}
