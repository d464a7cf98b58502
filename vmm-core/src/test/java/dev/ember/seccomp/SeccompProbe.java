package dev.ember.seccomp;

import dev.ember.sys.Native;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.SynchronousQueue;

/**
 * Child-process side of SeccompKernelTest: installs the filter {@code args[0]} names (see
 * {@link #filter}), then makes the calls the other arguments describe and prints one line per
 * call: {@code <call> ok <rc>} or {@code <call> errno <n>}. A call is
 * {@code nr[,a0,...,a5]}; prefixed with {@code early:} it runs on a thread that was started
 * before the filter was installed (TSYNC must reach it); {@code status} prints the Seccomp
 * lines of every thread's /proc status.
 */
public final class SeccompProbe {
    static final int GETPPID = 110;

    public static void main(String[] args) throws Exception {
        BlockingQueue<String> toEarly = new SynchronousQueue<>();
        BlockingQueue<String> fromEarly = new ArrayBlockingQueue<>(1);
        Thread early = new Thread(() -> {
            try {
                while (true) {
                    fromEarly.put(call(toEarly.take()));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "early");
        early.setDaemon(true);
        early.start();

        Seccomp.install(filter(args[0]));
        System.out.println("installed");

        for (String a : List.of(args).subList(1, args.length)) {
            if (a.equals("status")) {
                try (var tasks = Files.list(Path.of("/proc/self/task"))) {
                    for (Path t : (Iterable<Path>) tasks::iterator) {
                        for (String line : Files.readAllLines(t.resolve("status"))) {
                            if (line.startsWith("Seccomp") || line.startsWith("NoNewPrivs")) {
                                System.out.println("task " + t.getFileName() + " " + line.replaceAll("\\s+", " "));
                            }
                        }
                    }
                }
            } else if (a.startsWith("thread:")) {
                // A thread created after installation: pthread_create has to get past the filter.
                String[] result = new String[1];
                Thread t = new Thread(() -> result[0] = call(a.substring(7)), "late");
                t.start();
                t.join();
                System.out.println("thread:" + result[0]);
            } else if (a.startsWith("early:")) {
                toEarly.put(a.substring(6));
                System.out.println("early:" + fromEarly.take());
            } else {
                System.out.println(call(a));
            }
            System.out.flush();
        }
        System.out.println("done");
    }

    private static String call(String spec) {
        String[] f = spec.split(",");
        long[] v = new long[7];
        for (int i = 0; i < f.length; i++) {
            v[i] = Long.parseUnsignedLong(f[i]);
        }
        long rc = Native.LIBC.syscall(v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
        return rc == -1 ? spec + " errno " + Native.errno() : spec + " ok " + rc;
    }

    /** The filters the kernel test drives, by name. */
    static SeccompFilter filter(String name) {
        SyscallRule getppid = SyscallRule.of("getppid");
        return switch (name) {
            // Deny-list shapes (default allow) keep the JVM itself running while the rule under test bites.
            case "errno-getppid" -> new SeccompFilter(SeccompAction.ALLOW, SeccompAction.errno(1), List.of(getppid));
            case "kill-getppid" -> new SeccompFilter(SeccompAction.ALLOW, SeccompAction.KILL_PROCESS, List.of(getppid));
            case "trap-getppid" -> new SeccompFilter(SeccompAction.ALLOW, SeccompAction.TRAP, List.of(getppid));
            case "log-getppid" -> new SeccompFilter(SeccompAction.ALLOW, SeccompAction.LOG, List.of(getppid));
            case "per-rule-actions" -> new SeccompFilter(SeccompAction.ALLOW, SeccompAction.errno(5), List.of(
                    rule(ArgCondition.of(0, ArgCondition.Width.QWORD, ArgCondition.Op.EQ, 1)).withAction(SeccompAction.errno(13)),
                    getppid,
                    SyscallRule.of("clone3").withAction(SeccompAction.errno(38))));
            case "allow-nothing-extra" -> new SeccompFilter(SeccompAction.ALLOW, SeccompAction.ALLOW, List.of());
            // getppid ignores its arguments but the filter sees them: each rule denies with EACCES when it matches.
            case "conditions" -> new SeccompFilter(SeccompAction.ALLOW, SeccompAction.errno(13), List.of(
                    rule(ArgCondition.of(0, ArgCondition.Width.QWORD, ArgCondition.Op.EQ, 0x1_0000_0005L)),
                    rule(ArgCondition.of(1, ArgCondition.Width.DWORD, ArgCondition.Op.EQ, 7)),
                    rule(ArgCondition.of(2, ArgCondition.Width.QWORD, ArgCondition.Op.GT, 0x2_0000_0000L)),
                    rule(ArgCondition.of(3, ArgCondition.Width.QWORD, ArgCondition.Op.LT, 0x1_0000_0000L),
                            ArgCondition.of(3, ArgCondition.Width.QWORD, ArgCondition.Op.GE, 100)),
                    rule(ArgCondition.maskedEq(4, ArgCondition.Width.QWORD, 0xff00_0000_0000_00ffL, 0x1200_0000_0000_0034L)),
                    rule(ArgCondition.of(5, ArgCondition.Width.QWORD, ArgCondition.Op.LE, 0x3_0000_0010L),
                            ArgCondition.of(5, ArgCondition.Width.QWORD, ArgCondition.Op.NE, 0x3_0000_0001L),
                            ArgCondition.of(5, ArgCondition.Width.QWORD, ArgCondition.Op.GT, 0x3_0000_0000L))));
            // 250 made-up numbers (even ones from 500): the binary search must find each, and no odd one.
            case "many" -> {
                var rules = new java.util.ArrayList<SyscallRule>();
                for (int nr = 500; nr < 1000; nr += 2) {
                    rules.add(new SyscallRule("nr" + nr, nr, List.of()));
                }
                yield new SeccompFilter(SeccompAction.ALLOW, SeccompAction.errno(77), rules);
            }
            default -> throw new IllegalArgumentException(name);
        };
    }

    private static SyscallRule rule(ArgCondition... c) {
        return new SyscallRule("getppid", GETPPID, List.of(c));
    }
}
