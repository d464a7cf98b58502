package dev.ember.jailer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The jail's defaults against issue 11's findings, checked on real jailed processes (the
 * JailProbe stand-in VMM): explicit modes under the caller's umask 000, a fresh uid/gid per VM,
 * a PID namespace of its own, an empty capability bounding set, and no way for one VM to signal
 * or re-limit another.
 */
class JailDefaultsIT {
    private static final int EPERM = 1, ESRCH = 3;

    private Path base;
    private final List<JailHarness.Jailed> running = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        assumeTrue(JailHarness.isRoot(), "the jailer needs root");
        base = Files.createTempDirectory("ember-jail-defaults-it");
    }

    @AfterEach
    void tearDown() throws Exception {
        for (JailHarness.Jailed j : running) {
            j.close();
        }
        if (base != null) {
            JailHarness.killJailed(base);
            JailHarness.deleteTree(base);
        }
    }

    private Path root(String id) {
        return base.resolve("ember").resolve(id).resolve("root");
    }

    /** A jailed probe with the jailer's defaults (no --uid/--gid, no PID-namespace option) under umask 000. */
    private JailHarness.Jailed startDefault(String id, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("--id", id, "--exec-file", JailHarness.testImage().resolve("bin/ember").toString(),
                "--chroot-base-dir", base.toString()));
        args.addAll(List.of(extra));
        JailHarness.Jailed j = JailHarness.startUnderUmask000(args, List.of());
        running.add(j);
        String ready = j.line(Duration.ofSeconds(90));
        assertTrue(ready.startsWith("ready "), ready + j.stderr);
        return j;
    }

    private long vmmPid(String id) throws Exception {
        Path file = root(id).resolve("firecracker.pid");
        for (int i = 0; i < 600 && !Files.exists(file); i++) {
            Thread.sleep(100);
        }
        return Long.parseLong(Files.readString(file).trim());
    }

    private static int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS) & 07777;
    }

    private static void assertMode(int want, Path p) throws IOException {
        assertEquals(Integer.toOctalString(want), Integer.toOctalString(mode(p)), p.toString());
    }

    @Test
    void underUmask000EverythingTheJailerMakesHasItsOwnMode() throws Exception {
        String id = "modes-" + UUID.randomUUID().toString().substring(0, 8);
        JailHarness.Jailed j = startDefault(id);
        vmmPid(id);
        Path root = root(id);
        assertMode(0755, base.resolve("ember"));
        assertMode(0700, root.getParent());
        assertMode(0700, root);
        assertMode(0755, root.resolve("dev"));
        assertMode(0755, root.resolve("dev/net"));
        assertMode(0700, root.resolve("run"));
        assertMode(0600, root.resolve("dev/kvm"));
        assertMode(0600, root.resolve("dev/net/tun"));
        assertMode(0666, root.resolve("dev/urandom"));
        assertMode(0666, root.resolve("dev/null"));
        if (Files.exists(Path.of("/dev/userfaultfd"))) { // the host's node, for a Uffd snapshot load by the unprivileged VMM
            assertMode(0600, root.resolve("dev/userfaultfd"));
            assertEquals(Files.getAttribute(Path.of("/dev/userfaultfd"), "unix:rdev"), Files.getAttribute(root.resolve("dev/userfaultfd"), "unix:rdev"));
        }
        assertMode(0644, root.resolve("firecracker.pid"));
        assertMode(0644, root.resolve("ember.pid"));
        assertMode(0600, base.resolve(UidAllocator.LOCK_FILE));
        // What the VMM creates is its own too: it starts with umask 077, not its caller's 000.
        assertEquals("umask: 077", j.command("umask"));
    }

    @Test
    void eachVmGetsItsOwnUidPidNamespaceAndNoCapabilitiesAndCannotReachAnother() throws Exception {
        String a = "a-" + UUID.randomUUID().toString().substring(0, 8);
        String b = "b-" + UUID.randomUUID().toString().substring(0, 8);
        JailHarness.Jailed vmA = startDefault(a);
        startDefault(b);
        long pidA = vmmPid(a);
        long pidB = vmmPid(b);
        long uidA = Long.parseLong(JailHarness.status(pidA, "Uid").split(" ")[0]);
        long uidB = Long.parseLong(JailHarness.status(pidB, "Uid").split(" ")[0]);
        assertNotEquals(uidA, uidB, "two VMs share a uid");
        for (long uid : new long[] {uidA, uidB}) {
            assertTrue(uid >= UidRange.DEFAULT.first() && uid <= UidRange.DEFAULT.last(), uid + " is outside the default range");
        }
        assertEquals(uidA + " " + uidA + " " + uidA + " " + uidA, JailHarness.status(pidA, "Gid"), "the gid is the uid's number");
        assertEquals(uidA, ((Number) Files.getAttribute(root(a), "unix:uid")).longValue(), "the jail root belongs to the VM's uid");
        for (long pid : new long[] {pidA, pidB}) {
            assertEquals(pid + " 1", JailHarness.status(pid, "NSpid"), "not PID 1 of its own PID namespace");
            assertEquals("0000000000000000", JailHarness.status(pid, "CapBnd"));
            assertEquals("0000000000000000", JailHarness.status(pid, "CapPrm"));
            assertEquals("0000000000000000", JailHarness.status(pid, "CapAmb"));
        }
        // From A's PID namespace, B's VMM does not exist: no signal, no prlimit.
        assertEquals("tgkill: errno " + ESRCH, vmA.command("tgkill " + pidB));
        assertEquals("prlimit: errno " + ESRCH, vmA.command("prlimit " + pidB));
        assertEquals("tgkill: ok 0", vmA.command("tgkill 1"), "a VMM may signal itself");
    }

    /**
     * {@code --uid-range} bounds the fresh ids: two VMs get its two ids, a third is refused
     * naming the range and the fix (the jailer exits 1, nothing is left running for it), and an
     * id is free again once its jail root is gone.
     */
    @Test
    void freshIdsComeFromTheConfiguredRangeAndAFullRangeIsRefused() throws Exception {
        long first = 1_900_000_000L + (System.nanoTime() & 0xFFFF) * 4;
        String range = first + "-" + (first + 1);
        String a = "ra-" + UUID.randomUUID().toString().substring(0, 8);
        String b = "rb-" + UUID.randomUUID().toString().substring(0, 8);
        JailHarness.Jailed vmA = startDefault(a, "--uid-range", range);
        startDefault(b, "--uid-range", range);
        long uidA = Long.parseLong(JailHarness.status(vmmPid(a), "Uid").split("\\s+")[0]);
        long uidB = Long.parseLong(JailHarness.status(vmmPid(b), "Uid").split("\\s+")[0]);
        assertEquals(java.util.Set.of(first, first + 1), java.util.Set.of(uidA, uidB), "the range's two ids, one each");

        String c = "rc-" + UUID.randomUUID().toString().substring(0, 8);
        List<String> args = List.of("--id", c, "--exec-file", JailHarness.testImage().resolve("bin/ember").toString(),
                "--chroot-base-dir", base.toString(), "--uid-range", range, "--main-class", "dev.ember.jailer.probe.JailProbe", "--");
        String[] refused = JailHarness.runToEnd(args);
        assertEquals("1", refused[0], refused[1]);
        assertTrue(refused[1].contains("--uid-range " + range + ": all 2 ids are in use"), refused[1]);
        assertTrue(refused[1].contains("give a larger --uid-range"), refused[1]);

        // A's VM ends and its jail goes (what ember-launch --stop does): its id is free for the next.
        assertEquals("bye", vmA.command("exit"));
        assertEquals(0, vmA.awaitExit());
        JailHarness.deleteTree(base.resolve("ember").resolve(a));
        String d = "rd-" + UUID.randomUUID().toString().substring(0, 8);
        startDefault(d, "--uid-range", range);
        assertEquals(uidA, Long.parseLong(JailHarness.status(vmmPid(d), "Uid").split("\\s+")[0]));
    }

    @Test
    void withoutAPidNamespaceADifferentUidStillKeepsVmsApart() throws Exception {
        String a = "a-" + UUID.randomUUID().toString().substring(0, 8);
        String b = "b-" + UUID.randomUUID().toString().substring(0, 8);
        JailHarness.Jailed vmA = startDefault(a, "--no-new-pid-ns");
        startDefault(b, "--no-new-pid-ns");
        long pidB = vmmPid(b);
        assertEquals(Long.toString(pidB), JailHarness.status(pidB, "NSpid"), "in the host's PID namespace");
        assertEquals("tgkill: errno " + EPERM, vmA.command("tgkill " + pidB));
        assertEquals("prlimit: errno " + EPERM, vmA.command("prlimit " + pidB));
    }
}
