package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.it.EmberProcess;
import dev.ember.it.Host;
import java.nio.file.Path;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;

/**
 * Boots Linux through the real {@code bin/ember}: the kernels and the busybox initramfs from
 * {@code guest-images/build}. Slow, so only with {@code -Dember.slow=true}.
 *
 * <p>On PVM ({@code /sys/module/kvm_pvm} exists) guest user space cannot run: the first system
 * call of /init faults. There the PVM-profile kernel is checked up to the kernel-side milestones
 * (init started from the initramfs, every vCPU up, the configured memory), and the user-space
 * tests are skipped with that reason. On hardware KVM everything runs.
 */
class LinuxBootIT extends LinuxTest {
    @Test
    void pvmProfileKernelStartsInitFromTheInitramfsWithEveryVcpuAndTheConfiguredMemory() throws Exception {
        Path cfg = new LinuxVmConfig(LinuxImages.pvmVmlinux(), LinuxImages.pvmCmdline() + " rdinit=/init")
                .initrd(LinuxImages.initramfs())
                .machine(2, 64)
                .write(dir, "pvm-initramfs");
        try (EmberProcess vm = EmberProcess.boot(cfg.toString())) {
            vm.awaitStdout("^\\[ *[0-9.]+\\] Run /init as init process", LinuxTests.bootTimeout());
            String out = vm.stdout();
            assertTrue(out.contains("smp: Brought up 1 node, 2 CPUs"), "both vCPUs came up\n" + vm.describe());
            Matcher mem = java.util.regex.Pattern.compile("Memory: (\\d+)K/(\\d+)K available").matcher(out);
            assertTrue(mem.find(), "the kernel reported its memory\n" + vm.describe());
            long totalKib = Long.parseLong(mem.group(2));
            // RAM is the configured 64 MiB less the legacy hole (640 KiB to 1 MiB) and the first page.
            assertTrue(totalKib > 63 * 1024 && totalKib <= 64 * 1024,
                    "kernel sees " + totalKib + " KiB of the configured 65536\n" + vm.describe());
            assertTrue(out.contains("Unpacking initramfs") || out.contains("Trying to unpack rootfs"),
                    "the initrd was handed over\n" + vm.describe());
        }
    }

    @Test
    @GuestUserSpace
    void initPrintsItsMarkerCpusAndMemoryThenRunsTheCommandAndEndsTheVm() throws Exception {
        LinuxTests.assumeGuestUserSpaceRuns();
        String token = LinuxTests.token();
        Path cfg = new LinuxVmConfig(LinuxImages.vmlinux(),
                LinuxImages.BASE_CMDLINE + " ember.cmd=\"echo " + token + " | tr a-z A-Z\"")
                .initrd(LinuxImages.initramfs())
                .machine(2, 256)
                .write(dir, "initramfs");
        try (EmberProcess vm = EmberProcess.boot(cfg.toString())) {
            assertEquals(0, LinuxTests.awaitExit(vm, LinuxTests.bootTimeout()), "a guest reboot ends ember with status 0\n" + vm.describe());
            String out = vm.stdout();
            assertTrue(out.matches("(?s).*\nEMBER-INIT: up [0-9.]+ [0-9.]+\r?\n.*"), "init's marker\n" + vm.describe());
            assertTrue(out.contains("EMBER-INIT: nproc 2"), "nproc equals vcpu_count\n" + vm.describe());
            Matcher mem = java.util.regex.Pattern.compile("EMBER-INIT: MemTotal: +(\\d+) kB").matcher(out);
            assertTrue(mem.find(), "MemTotal line\n" + vm.describe());
            long kib = Long.parseLong(mem.group(1));
            // MemTotal is RAM less the kernel image and early reservations.
            assertTrue(kib > 200 * 1024 && kib <= 256 * 1024, "MemTotal " + kib + " kB for mem_size_mib 256\n" + vm.describe());
            assertTrue(out.contains("\n" + token.toUpperCase() + "\r\n") || out.contains("\n" + token.toUpperCase() + "\n"),
                    "the command's output\n" + vm.describe());
            String user = LinuxTests.userOutput(vm);
            assertTrue(user.contains("EMBER-INIT: exit 0"), vm.describe());
            assertTrue(user.contains("EMBER-INIT: reboot"), vm.describe());
        }
    }

    @Test
    @GuestUserSpace
    void aCommandTypedOnTheSerialConsoleIsAnswered() throws Exception {
        LinuxTests.assumeGuestUserSpaceRuns();
        String token = LinuxTests.token();
        Path cfg = new LinuxVmConfig(LinuxImages.vmlinux(), LinuxImages.BASE_CMDLINE + " ember.shell=1")
                .initrd(LinuxImages.initramfs())
                .write(dir, "shell");
        try (EmberProcess vm = EmberProcess.boot(cfg.toString())) {
            vm.awaitStdout("^EMBER-INIT: shell", LinuxTests.bootTimeout());
            vm.type("echo " + token + " | rev\n");
            vm.awaitStdout("^" + new StringBuilder(token).reverse() + "\r?$", LinuxTests.KVM_BOOT);
            vm.type("exit 7\n");
            assertEquals(0, vm.awaitExit(LinuxTests.KVM_BOOT), vm.describe());
            assertTrue(vm.stdout().contains("EMBER-INIT: exit 7"), "the shell's status reached init\n" + vm.describe());
        }
    }

    /**
     * The documented example on whatever /dev/kvm this host has: on PVM its unmodified kernel
     * stops on the emulator, and Ember says in one line what that means and what to do;
     * elsewhere it reaches its shell.
     */
    @Test
    void theLinuxExampleSaysWhatToDoWhereKvmIsPvm() throws Exception {
        try (EmberProcess vm = EmberProcess.boot("docs/examples/linux.json")) {
            if (!Host.isPvm()) {
                vm.awaitStdout("^EMBER-INIT: shell", LinuxTests.bootTimeout());
                vm.type("exit\n");
                assertEquals(0, vm.awaitExit(LinuxTests.KVM_BOOT), vm.describe());
                return;
            }
            assertEquals(1, vm.awaitExit(LinuxTests.PVM_BOOT), vm.describe());
            String advice = "this host's /dev/kvm is PVM (kvm_pvm), whose emulator cannot run an unmodified Linux kernel to user"
                    + " space: boot the PVM-profile kernel (guest-images/out/pvm-vmlinux with the arguments in"
                    + " guest-images/kernel/pvm.cmdline), or run the VM under nested real KVM with bin/nested-kvm -- bin/ember ...";
            assertTrue(vm.stderr().contains(advice), vm.describe());
            assertEquals(vm.stderr().indexOf(advice), vm.stderr().lastIndexOf(advice), "said once\n" + vm.describe());
        }
    }

    @Test
    @GuestUserSpace
    void theLinuxExampleConfigBootsToAShell() throws Exception {
        LinuxTests.assumeGuestUserSpaceRuns();
        try (EmberProcess vm = EmberProcess.boot("docs/examples/linux.json")) {
            vm.awaitStdout("^EMBER-INIT: nproc 2", LinuxTests.bootTimeout());
            vm.awaitStdout("^EMBER-INIT: shell", LinuxTests.bootTimeout());
            vm.type("exit\n");
            assertEquals(0, vm.awaitExit(LinuxTests.KVM_BOOT), vm.describe());
        }
    }
}
