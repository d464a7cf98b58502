package dev.ember.jailer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Argument checks: every bad input is refused with a message naming the option and the fix. */
class JailerArgumentsTest {
    @TempDir
    Path dir;
    Path exec;

    /** A directory with the shape of a runtime image (the checks look at the shape only). */
    @BeforeEach
    void fakeImageShape() throws IOException {
        exec = imageShape(dir.resolve("image"));
    }

    private static Path imageShape(Path home) throws IOException {
        for (String d : new String[] {"bin", "lib", "app", "sysroot/lib", "sysroot/lib64"}) {
            Files.createDirectories(home.resolve(d));
        }
        Files.writeString(home.resolve("lib/modules"), "");
        Files.writeString(home.resolve("lib/libjli.so"), "");
        Files.writeString(home.resolve("app/jvm.args"), "");
        Files.writeString(home.resolve("bin/ember-vmm"), "");
        return executable(home.resolve("bin/ember"));
    }

    private static Path executable(Path p) throws IOException {
        Files.createDirectories(p.getParent());
        Files.writeString(p, "");
        p.toFile().setExecutable(true);
        return p;
    }

    private JailConfig parse(String... extra) {
        List<String> args = new ArrayList<>(List.of("--id", "vm-1", "--exec-file", exec.toString(), "--uid", "1000", "--gid", "1001"));
        args.addAll(List.of(extra));
        JailerCommand c = new JailerCommand();
        new CommandLine(c).setOverwrittenOptionsAllowed(true).parseArgs(args.toArray(new String[0]));   // later options override the defaults above
        return c.toConfig();
    }

    private String refused(String... extra) {
        JailerException e = assertThrows(JailerException.class, () -> parse(extra));
        assertTrue(e.isUsage(), e.getMessage());
        return e.getMessage();
    }

    @Test
    void defaultsFollowFirecrackersJailer() {
        JailConfig c = parse("--", "--api-sock", "/run/ember.socket");
        assertEquals(Path.of("/srv/jailer/ember/vm-1/root"), c.rootDir());
        assertEquals("ember", c.parentCgroup());
        assertEquals("dev.ember.cli.Main", c.mainClass());
        assertEquals(List.of("--api-sock", "/run/ember.socket"), c.vmmArgs());
        assertEquals("/ember/bin/ember-vmm", c.image().jailedExecPath());
        assertTrue(c.resourceLimits().isEmpty());
    }

    /** Issue 11: each VM its own uid and PID namespace unless told otherwise. */
    @Test
    void withoutUidAndGidAVmGetsAFreshIdInItsOwnPidNamespace() {
        JailerCommand c = new JailerCommand();
        new CommandLine(c).parseArgs("--id", "vm-1", "--exec-file", exec.toString());
        JailConfig config = c.toConfig();
        assertEquals(JailConfig.ALLOCATE, config.uid());
        assertEquals(JailConfig.ALLOCATE, config.gid());
        assertEquals(UidRange.DEFAULT, config.uidRange());
        assertEquals(0x70000000L, config.uidRange().first());
        assertEquals(65536, config.uidRange().size());
        assertTrue(config.newPidNs());
        assertEquals(false, parse("--no-new-pid-ns").newPidNs());
        assertEquals(true, parse("--new-pid-ns").newPidNs());
        assertEquals(new UidRange(200000, 200099), parse("--uid-range", "200000-200099").uidRange());
    }

    @Test
    void uidAndGidGoTogetherAndTheRangeIsChecked() {
        JailerCommand c = new JailerCommand();
        new CommandLine(c).parseArgs("--id", "vm-1", "--exec-file", exec.toString(), "--uid", "5");
        JailerException e = assertThrows(JailerException.class, c::toConfig);
        assertTrue(e.getMessage().startsWith("--uid and --gid go together"), e.getMessage());
        assertTrue(refused("--uid", "-1").contains("--uid/--gid must be 0 or more"));
        assertTrue(refused("--uid-range", "5").contains("--uid-range 5: expected FIRST-LAST, e.g. 1879048192-1879113727"));
        assertTrue(refused("--uid-range", "9-3").contains("must be FIRST-LAST with 1 <= FIRST <= LAST"));
        assertTrue(refused("--uid-range", "0-3").contains("must be FIRST-LAST with 1 <= FIRST"));
        assertTrue(refused("--uid-range", "100-3000000000").contains("LAST <= 2147483646"));
    }

    @Test
    void theVmmGetsItsIdFromTheJailerNotFromItsArguments() {
        assertTrue(refused("--", "--id", "x").contains("the jailer passes the VM's --id to the VMM itself"));
        parse("--main-class", "some.Other", "--", "--id", "x");
    }

    @Test
    void idsAreLettersDigitsAndDashesUpTo64() {
        parse("--id", "a".repeat(64));
        assertTrue(refused("--id", "a".repeat(65)).startsWith("--id aaaa"));
        assertTrue(refused("--id", "vm_1").contains("must be 1 to 64 characters, each a letter, a digit or '-'"));
        assertTrue(refused("--id", "../x").startsWith("--id ../x"));
        assertTrue(refused("--id", "").startsWith("--id "));
    }

    @Test
    void execFileMustBeTheLauncherOfARuntimeImage() {
        assertTrue(refused("--exec-file", dir.resolve("nope").toString())
                .contains("no such executable file; --exec-file must be the repository's bin/ember or bin/ember of an Ember runtime image"));
        // /bin/true's home (/ or, under merged /usr, /usr) may well have lib/modules: what it lacks
        // is the Ember part.
        String notAnImage = refused("--exec-file", "/bin/true");
        assertTrue(notAnImage.contains("not in the bin/ directory of a runtime image")
                || notAnImage.contains("is not an Ember runtime image (it has no app/jvm.args)"), notAnImage);
    }

    /** Kata Containers uses one hypervisor path for --version and as the jailer's --exec-file: the repository's bin/ember. */
    @Test
    void theRepositorysBinEmberStandsForTheImageItsBuildMade() throws IOException {
        Path repo = dir.resolve("repo");
        Path binEmber = executable(repo.resolve("bin/ember"));
        executable(repo.resolve("bin/ember-jailer"));
        assertTrue(refused("--exec-file", binEmber.toString()).contains("the repository " + repo + " has no runtime image yet"));
        Path image = repo.resolve("jailer/target/ember-runtime");
        imageShape(image);
        JailConfig c = parse("--exec-file", binEmber.toString());
        assertEquals(image, c.image().home());
        assertEquals("/ember/bin/ember-vmm", c.image().jailedExecPath());
        assertEquals(Path.of("/srv/jailer/ember/vm-1/root"), c.rootDir());
        // Through a link named as Firecracker's binary: the jail and the cgroup take the link's name, as Kata expects.
        Path link = Files.createSymbolicLink(Files.createDirectories(dir.resolve("opt/bin")).resolve("firecracker"), binEmber);
        c = parse("--exec-file", link.toString());
        assertEquals(image, c.image().home());
        assertEquals(Path.of("/srv/jailer/firecracker/vm-1/root"), c.rootDir());
        assertEquals("firecracker", c.parentCgroup());
    }

    @Test
    void aJdkShapedDirectoryWithoutTheEmberPartIsNotAnImage() throws IOException {
        Files.delete(exec.getParent().getParent().resolve("app/jvm.args"));
        assertTrue(refused().contains("is not an Ember runtime image (it has no app/jvm.args)"));
        Files.writeString(exec.getParent().getParent().resolve("app/jvm.args"), "");
        Files.delete(exec.getParent().getParent().resolve("lib/libjli.so"));
        assertTrue(refused().contains("has no lib/libjli.so"));
    }

    @Test
    void cgroupSettingsAreFileEqualsValue() {
        JailConfig c = parse("--cgroup-version", "2", "--cgroup", "memory.max=536870912", "--cgroup", "cpu.max=50000 100000");
        assertEquals(List.of(new CgroupSetting("memory.max", "536870912"), new CgroupSetting("cpu.max", "50000 100000")), c.cgroups());
        assertEquals("memory", c.cgroups().get(0).controller());
        assertTrue(refused("--cgroup", "memory.max").startsWith("--cgroup memory.max: expected <file>=<value>"));
        assertTrue(refused("--cgroup", "../../etc/passwd=1").contains("is not a cgroup control file name"));
        assertTrue(refused("--cgroup", "memory.max=").contains("the value must be one non-empty line"));
        assertTrue(refused("--cgroup-version", "3").startsWith("--cgroup-version 3: must be 1 or 2"));
    }

    @Test
    void parentCgroupStaysInsideTheHierarchy() {
        assertEquals("vms/ember", parse("--parent-cgroup", "vms/ember").parentCgroup());
        assertTrue(refused("--parent-cgroup", "/abs").contains("must be a relative path"));
        assertTrue(refused("--parent-cgroup", "a/../..").contains("without '..'"));
    }

    @Test
    void resourceLimitsAreFsizeAndNoFile() {
        JailConfig c = parse("--resource-limit", "fsize=250000000", "--resource-limit", "no-file=1024");
        assertEquals(List.of(new ResourceLimit("fsize", ResourceLimit.RLIMIT_FSIZE, 250000000), new ResourceLimit("no-file", ResourceLimit.RLIMIT_NOFILE, 1024)),
                c.resourceLimits());
        assertTrue(refused("--resource-limit", "cpu=1").contains("the resource must be fsize"));
        assertTrue(refused("--resource-limit", "no-file=lots").contains("expected no-file=<number>, e.g. no-file=1024"));
        assertTrue(refused("--resource-limit", "no-file=10").contains("fewer than 64 file descriptors"));
    }

    @Test
    void netnsAndBaseDirMustBeAbsolute() {
        assertTrue(refused("--netns", "netns/x").startsWith("--netns netns/x: must be an absolute path"));
        assertTrue(refused("--chroot-base-dir", "jails").startsWith("--chroot-base-dir jails: must be an absolute path"));
        assertTrue(refused("--chroot-base-dir", "/").startsWith("--chroot-base-dir /: must be an absolute path below /"));
    }

    @Test
    void mainPrintsOneLineAndExits2OnBadInputWithoutAStackTrace() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int status;
        try {
            status = Main.run(new String[] {"--id", "bad id", "--exec-file", exec.toString(), "--uid", "1", "--gid", "1"});
        } finally {
            System.setErr(old);
        }
        assertEquals(2, status);
        String text = err.toString(StandardCharsets.UTF_8);
        assertTrue(text.startsWith("ember-jailer: --id bad id: must be 1 to 64 characters"), text);
        assertTrue(!text.contains("\tat "), text);
    }

    @Test
    void missingRequiredOptionsAreNamed() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int status;
        try {
            status = Main.run(new String[] {"--id", "x"});
        } finally {
            System.setErr(old);
        }
        assertEquals(2, status);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("Missing required option: '--exec-file=FILE'"),
                err.toString(StandardCharsets.UTF_8));
    }
}
