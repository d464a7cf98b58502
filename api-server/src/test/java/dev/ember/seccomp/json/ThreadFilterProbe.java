package dev.ember.seccomp.json;

import dev.ember.seccomp.ThreadFilters;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Child side of ThreadFiltersTest: installs the built-in filters as the VMM does, then on a new
 * thread takes the category in {@code args[0]} ({@code vcpu}, {@code api}, or {@code vmm} for
 * none beyond the process-wide filter) and makes the call {@code args[1]} names, printing
 * {@code ok <call>} or {@code errno <n> <call>}. A call the category forbids kills the process
 * (SIGSYS) before anything is printed. {@code args[2]} is a scratch directory.
 */
public final class ThreadFilterProbe {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[2]);
        Path existing = Files.writeString(dir.resolve("existing.txt"), "x");
        int kvm = Files.isWritable(Path.of("/dev/kvm")) ? Native.LIBC.open("/dev/kvm", LibC.O_RDWR | LibC.O_CLOEXEC, 0) : -1;
        SeccompFilters.installDefault();
        System.out.println("installed");
        Runnable call = () -> System.out.println(call(args[1], dir, existing, kvm));
        Thread t = new Thread(() -> {
            if (!args[0].equals("vmm")) {
                ThreadFilters.enter(ThreadFilters.Category.valueOf(args[0].toUpperCase(java.util.Locale.ROOT)));
            }
            if (args[1].startsWith("child-")) {
                // A thread this one starts inherits its filters.
                Thread child = new Thread(() -> System.out.println(call(args[1].substring(6), dir, existing, kvm)), "child");
                child.start();
                join(child);
            } else {
                call.run();
            }
        }, args[0].equals("vcpu") ? "fc_vcpu 0" : "probe-" + args[0]);
        t.start();
        t.join();
        System.out.println("done");
    }

    private static void join(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String call(String name, Path dir, Path existing, int kvm) {
        long rc = switch (name) {
            case "create-file" -> Native.LIBC.open(dir.resolve("created.txt").toString(), LibC.O_WRONLY | LibC.O_CREAT | LibC.O_CLOEXEC, 0600);
            case "open-read-only" -> Native.LIBC.open(existing.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
            case "unlink" -> Native.LIBC.unlink(existing.toString());
            case "mmap-exec" -> Native.LIBC.syscall(Native.SYS_MMAP, 0, 4096, LibC.PROT_READ | LibC.PROT_EXEC, LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS, -1, 0);
            case "mmap-data" -> Native.LIBC.syscall(Native.SYS_MMAP, 0, 4096, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS, -1, 0);
            case "unix-socket" -> Native.LIBC.socket(1, 1 | 02000000, 0);
            case "kvm-create-vm" -> Native.LIBC.ioctl(kvm, 0xAE01L, 0L);
            case "kvm-api-version" -> Native.LIBC.ioctl(kvm, 0xAE00L, 0L);
            default -> throw new IllegalArgumentException(name);
        };
        return rc == -1 ? "errno " + Native.errno() + " " + name : "ok " + name;
    }
}
