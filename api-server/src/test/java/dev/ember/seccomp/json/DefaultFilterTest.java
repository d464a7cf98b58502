package dev.ember.seccomp.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.seccomp.ArgCondition;
import dev.ember.seccomp.BpfCompiler;
import dev.ember.seccomp.SeccompAction;
import dev.ember.seccomp.SeccompFilter;
import dev.ember.seccomp.SyscallRule;
import dev.ember.testing.ChildJvm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The built-in filter: its numbers against the headers, and a JVM running under it. */
class DefaultFilterTest {
    private static final int SIGSYS = 31;

    @TempDir
    Path dir;

    @Test
    void compilesAndKillsWhatItDoesNotList() {
        SeccompFilter f = SeccompFilters.loadDefault();
        assertEquals(SeccompAction.KILL_PROCESS, f.defaultAction());
        assertEquals(SeccompAction.ALLOW, f.matchAction());
        assertTrue(BpfCompiler.compile(f).length() < 4096);
        for (String never : List.of("execve", "execveat", "fork", "vfork", "ptrace", "mount", "umount2", "pivot_root", "chroot",
                "setns", "unshare", "init_module", "finit_module", "kexec_load", "bpf", "perf_event_open", "setuid", "setgid")) {
            assertFalse(f.rules().stream().anyMatch(r -> r.name().equals(never)), never + " must not be allowed");
        }
        // connect is allowed for vsock's guest-initiated connections; it can reach Unix sockets only
        // because every socket rule demands AF_UNIX.
        assertTrue(f.rules().stream().anyMatch(r -> r.name().equals("connect")));
        assertTrue(f.rules().stream().filter(r -> r.name().equals("socket")).allMatch(r -> r.conditions().stream()
                .anyMatch(c -> c.index() == 0 && c.op() == dev.ember.seccomp.ArgCondition.Op.EQ && c.value() == 1)),
                "socket is limited to AF_UNIX (1)");
    }

    /** Every ioctl condition names its request macro in "comment"; gcc says what the macro is. */
    @Test
    void ioctlNumbersAreTheHeadersMacros() throws Exception {
        Map<String, Long> ours = new LinkedHashMap<>();
        String json = new String(SeccompFilters.class.getResourceAsStream(SeccompFilters.DEFAULT_RESOURCE).readAllBytes(), StandardCharsets.UTF_8);
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("\"syscall\": \"ioctl\"[^\n]*\"arg_index\": 1, \"arg_type\": \"dword\", \"op\": \"eq\", \"val\": (\\d+), \"comment\": \"(\\w+)\"").matcher(json);
        while (m.find()) {
            ours.put(m.group(2), Long.parseLong(m.group(1)));
        }
        long ioctlConditions = SeccompFilters.loadDefaultSource().values().stream()
                .flatMap(filter -> filter.rules().stream()).filter(r -> r.name().equals("ioctl")).count();
        assertEquals(ioctlConditions, m.reset().results().count(), "every ioctl rule has one request condition named by its comment");
        assertTrue(ours.containsKey("KVM_RUN") && ours.containsKey("TUNSETIFF"), ours.keySet().toString());

        StringBuilder c = new StringBuilder("#include <linux/kvm.h>\n#include <linux/if_tun.h>\n#include <linux/userfaultfd.h>\n#include <sys/ioctl.h>\n#include <termios.h>\n#include <stdio.h>\nint main(void){\n");
        for (String name : ours.keySet()) {
            c.append("printf(\"").append(name).append(" %lu\\n\", (unsigned long)").append(name).append(");\n");
        }
        c.append("return 0;}\n");
        Path src = Files.writeString(dir.resolve("io.c"), c.toString());
        Path exe = dir.resolve("io");
        Process cc = new ProcessBuilder("gcc", "-o", exe.toString(), src.toString()).redirectErrorStream(true).start();
        String ccOut = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, cc.waitFor(), ccOut);
        Process run = new ProcessBuilder(exe.toString()).start();
        String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(run.waitFor(10, TimeUnit.SECONDS));
        Map<String, Long> headers = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            String[] p = line.split(" ");
            headers.put(p[0], Long.parseLong(p[1]));
        }
        assertEquals(headers, ours);
    }

    /** Every KVM ioctl Ember's bindings define must get past the filter, or the VMM dies using it. */
    @Test
    void everyKvmIoctlEmberDefinesIsAllowed() throws Exception {
        SeccompFilter f = SeccompFilters.loadDefault();
        java.util.Set<Long> allowed = allowedIoctls(f);
        int checked = 0;
        for (java.lang.reflect.Field field : dev.ember.kvm.KvmIoctls.class.getFields()) {
            if (field.getType() == long.class && java.lang.reflect.Modifier.isStatic(field.getModifiers())) {
                long request = field.getLong(null) & 0xffffffffL;
                assertTrue(allowed.contains(request), "KvmIoctls." + field.getName() + " (" + request + ") is not in default.json");
                checked++;
            }
        }
        assertTrue(checked > 30, "only " + checked + " KVM ioctls found");
    }

    /**
     * The userfaultfd calls a Uffd snapshot load makes on ember-vmm-ctl (which carries the vmm
     * filter only) and the watch on the handler: missing one kills the VMM at the load.
     */
    @Test
    void theUffdMemoryBackendsCallsAreAllowed() throws Exception {
        SeccompFilter f = SeccompFilters.loadDefault();
        java.util.Set<Long> allowed = allowedIoctls(f);
        for (long request : new long[] {dev.ember.memory.uffd.UffdAbi.USERFAULTFD_IOC_NEW, dev.ember.memory.uffd.UffdAbi.UFFDIO_API,
                dev.ember.memory.uffd.UffdAbi.UFFDIO_REGISTER, dev.ember.memory.uffd.UffdAbi.UFFDIO_UNREGISTER}) {
            assertTrue(allowed.contains(request & 0xffffffffL), Long.toHexString(request) + " is not in default.json");
        }
        for (String call : List.of("userfaultfd", "pidfd_open", "sendmsg", "getsockopt", "poll", "connect")) {
            assertTrue(f.rules().stream().anyMatch(r -> r.name().equals(call) && r.conditions().isEmpty()), call);
        }
    }

    /** The request numbers the filter's ioctl rules allow. */
    private static java.util.Set<Long> allowedIoctls(SeccompFilter f) {
        java.util.Set<Long> allowed = new java.util.HashSet<>();
        for (SyscallRule r : f.rules()) {
            if (r.name().equals("ioctl")) {
                allowed.add(r.conditions().get(0).value());
            }
        }
        return allowed;
    }

    /** Rules of one call are tried in order: KVM_RUN, made at every vCPU exit, must not wait behind 60 others. */
    @Test
    void kvmRunIsTheFirstIoctlRule() {
        for (String category : List.of("vmm", "vcpu")) {
            SyscallRule first = SeccompFilters.loadDefaultSource().get(category).rules().stream().filter(r -> r.name().equals("ioctl"))
                    .findFirst().orElseThrow();
            assertEquals(dev.ember.kvm.KvmIoctls.RUN & 0xffffffffL, first.conditions().get(0).value(), category);
        }
    }

    @Test
    void cloneIsAllowedForThreadsOnlyAndClone3FallsBack() {
        SeccompFilter f = SeccompFilters.loadDefault();
        SyscallRule clone = f.rules().stream().filter(r -> r.name().equals("clone")).findFirst().orElseThrow();
        // CLONE_THREAD set, and none of CLONE_NEWNS/NEWCGROUP/NEWUTS/NEWIPC/NEWUSER/NEWPID/NEWNET.
        assertEquals(ArgCondition.maskedEq(0, ArgCondition.Width.QWORD, 0x7E030000L, 0x10000), clone.conditions().get(0));
        SyscallRule clone3 = f.rules().stream().filter(r -> r.name().equals("clone3")).findFirst().orElseThrow();
        assertEquals(SeccompAction.errno(38), clone3.action());
    }

    private static ChildJvm.Result probe(String... args) throws Exception {
        return ChildJvm.run(DefaultFilterProbe.class, List.of(args));
    }

    @Test
    void aJvmKeepsWorkingUnderTheDefaultFilter() throws Exception {
        List<String> steps = new ArrayList<>(List.of("-", "threads", "file", "unix-server"));
        if (Files.isWritable(Path.of("/dev/kvm"))) {
            steps.add("kvm");
        }
        ChildJvm.Result r = probe(steps.toArray(new String[0]));
        assertEquals(0, r.exitCode(), r.describe());
        for (String step : steps.subList(1, steps.size())) {
            assertTrue(r.stdout().contains("ok " + step), step + "\n" + r.describe());
        }
        assertTrue(r.stdout().contains("done"), r.describe());
    }

    @Test
    void internetSocketsKillTheProcess() throws Exception {
        ChildJvm.Result r = probe("-", "file", "tcp");
        assertEquals(128 + SIGSYS, r.exitCode(), r.describe());
        assertTrue(r.stdout().contains("ok file"), r.describe());
        assertFalse(r.stdout().contains("ok tcp"), r.describe());
    }

    @Test
    void startingAProcessKillsTheProcess() throws Exception {
        ChildJvm.Result r = probe("-", "exec");
        assertEquals(128 + SIGSYS, r.exitCode(), r.describe());
        assertFalse(r.stdout().contains("ok exec"), r.describe());
    }

    @Test
    void aFilterFileReplacesTheDefault() throws Exception {
        Path file = Files.writeString(dir.resolve("f.json"),
                "{\"default_action\": \"allow\", \"filter_action\": \"kill_process\", \"filter\": [{\"syscall\": \"fsync\"}, {\"syscall\": \"fdatasync\"}]}");
        ChildJvm.Result r = probe(file.toString(), "threads", "file");
        assertEquals(128 + SIGSYS, r.exitCode(), r.describe());
        assertTrue(r.stdout().contains("ok threads"), r.describe());
        assertFalse(r.stdout().contains("ok file"), r.describe());
    }
}
