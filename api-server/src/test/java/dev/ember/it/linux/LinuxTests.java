package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.it.EmberProcess;
import dev.ember.it.Host;
import dev.ember.testing.HostCommand;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;

/** What the Linux integration tests share: when they run, how long a boot may take, tokens. */
final class LinuxTests {
    /** Guards against a hang only; never a timing assertion. PVM emulates the guest kernel. */
    static final Duration PVM_BOOT = Duration.ofMinutes(6);
    static final Duration KVM_BOOT = Duration.ofMinutes(2);

    private static final Pattern NOT_SUPPORTED = Pattern.compile("not supported yet: ([^(\\n]+)");

    private LinuxTests() {}

    static void assumeSlowTestsOnKvm() {
        assumeTrue(Host.slowTestsEnabled(), "Linux boot tests are slow: enable them with -Dember.slow=true (bin/test does)");
        assumeTrue(Host.hasKvm(), Host::noKvmReason);
    }

    static void assumeGuestUserSpaceRuns() {
        assumeFalse(Host.isPvm(), "PVM (/sys/module/kvm_pvm) cannot run guest user space;"
                + " this host checks the kernel-side milestones only");
    }

    static Duration bootTimeout() {
        return Host.isPvm() ? PVM_BOOT : KVM_BOOT;
    }

    /** The contents of {@code guestPath} in the ext4 image, read on the host with debugfs (its banner left out). */
    static String readFromImage(Path image, String guestPath) throws IOException, InterruptedException {
        HostCommand.Result cat = HostCommand.run(Duration.ofSeconds(30), "debugfs", "-R", "cat " + guestPath, image.toString());
        assertEquals(0, cat.exit(), cat.output());
        return cat.output().lines().filter(l -> !l.startsWith("debugfs ")).collect(Collectors.joining("\n")).trim();
    }

    /** A kernel log line on the console, which can land in the middle of a user-space line. */
    private static final java.util.regex.Pattern KERNEL_LINE = java.util.regex.Pattern.compile("\\[ *\\d+\\.\\d{6}\\] [^\\n]*\\n");

    /**
     * The console without the kernel's log lines: a late printk (the i8042's keyboard line, say)
     * lands in the middle of a line init is writing ("EMBER-INIT: rebo[ 3.75] input: ...\not"),
     * so user-space lines are matched in this, whole again.
     */
    static String userOutput(EmberProcess vm) {
        return KERNEL_LINE.matcher(vm.stdout()).replaceAll("");
    }

    static String token() {
        return "ember" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40, 1L << 50), 36);
    }

    /**
     * Waits for {@code regex} on the console. If ember refused the configuration because it does
     * not support one of its sections yet (it exits 152 naming them), the test is skipped with
     * that message, so it counts as not run rather than passed or failed.
     */
    static Matcher awaitConsole(EmberProcess vm, String regex, Duration timeout) throws InterruptedException {
        try {
            return vm.awaitStdout(regex, timeout);
        } catch (AssertionError e) {
            skipIfUnsupported(vm);
            throw e;
        }
    }

    /** Waits for ember to exit, skipping the test as {@link #awaitConsole} does. */
    static int awaitExit(EmberProcess vm, Duration timeout) throws InterruptedException {
        int code = vm.awaitExit(timeout);
        skipIfUnsupported(vm);
        return code;
    }

    private static void skipIfUnsupported(EmberProcess vm) {
        Matcher m = NOT_SUPPORTED.matcher(vm.stderr());
        if (!vm.isAlive() && m.find()) {
            Assumptions.abort("Ember does not support " + m.group(1).trim() + " yet (it said: " + m.group().trim() + ")");
        }
    }
}
