package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.it.EmberProcess;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A Linux guest ending its VM by itself. The microVM kernel of guest-images/build has ACPI: it
 * finds Ember's tables (its CPUs in the MADT, the FADT's PM1a control port, {@code \_S5} in the
 * DSDT), and its S5 request ends {@code ember} with exit status 0, whether the shell calls
 * {@code poweroff -f} (the kernel's own power-off) or busybox's {@code poweroff} (a signal to
 * init, which then powers off); busybox's {@code reboot} resets through the i8042 the same way.
 * Booted with {@code acpi=off} it finds both CPUs in the MP table. A distribution kernel, with
 * every ACPI driver and booted as a bzImage, powers off through the same tables. Needs guest
 * user space ({@link GuestUserSpace}): on PVM hosts these run in the nested tier.
 */
@GuestUserSpace
class LinuxPowerOffIT extends LinuxTest.UserSpace {
    private static final String POWERED_OFF = "guest powered off (ACPI S5 through PM1a_CNT)";
    private static final String RESET = "guest reset through the i8042 controller";
    private static final String MADT = "ACPI: Using ACPI (MADT) for SMP configuration information";
    /** A distribution kernel probes far more than the microVM kernel: give it longer. */
    private static final Duration DISTRO_BOOT = LinuxTests.bootTimeout().multipliedBy(3);

    /** docs/examples/linux.json (the microVM kernel, 2 vCPUs, a shell) with {@code lines} typed into its shell. */
    private static EmberProcess linuxExampleTyping(String lines) throws Exception {
        List<String> pipe = List.of("sh", "-c", "printf '" + lines + "' | \"$0\" \"$@\"");
        return EmberProcess.startVia(pipe, "--no-api", "--config-file", "docs/examples/linux.json");
    }

    @Test
    void poweroffDashFInTheExamplesShellEndsEmberWithZeroThroughAcpi() throws Exception {
        try (EmberProcess vm = linuxExampleTyping("echo MARK-$((6*7))\\necho TABLES $(ls /sys/firmware/acpi/tables)\\npoweroff -f\\n")) {
            assertEquals(0, LinuxTests.awaitExit(vm, LinuxTests.bootTimeout()), "poweroff -f ends ember with 0\n" + vm.describe());
            String out = vm.stdout();
            assertTrue(out.matches("(?s).*\nMARK-42\r?\n.*"), "the shell ran the typed commands\n" + vm.describe());
            assertTrue(out.contains("TABLES APIC DSDT FACP FACS"), "the kernel loaded Ember's ACPI tables\n" + vm.describe());
            assertTrue(out.contains(MADT), vm.describe());
            assertTrue(out.contains("EMBER-INIT: nproc 2"), "both vCPUs online, found in the MADT\n" + vm.describe());
            assertTrue(out.contains("ACPI: PM: (supports S0 S5)"), "\\_S5 found in the DSDT\n" + vm.describe());
            assertTrue(vm.stderr().contains(POWERED_OFF), "the VM ended by the guest's S5 request, not a reset\n" + vm.describe());
        }
    }

    @Test
    void busyboxPoweroffWithoutDashFAsksInitWhichPowersOff() throws Exception {
        try (EmberProcess vm = linuxExampleTyping("echo MARK-$((6*7))\\npoweroff\\n")) {
            assertEquals(0, LinuxTests.awaitExit(vm, LinuxTests.bootTimeout()), "busybox poweroff ends ember with 0\n" + vm.describe());
            assertTrue(LinuxTests.userOutput(vm).matches("(?s).*\nMARK-42\r?\n.*"), vm.describe());
            assertTrue(LinuxTests.userOutput(vm).contains("EMBER-INIT: poweroff"), "init took busybox's USR2 as a power-off\n" + vm.describe());
            assertTrue(vm.stderr().contains(POWERED_OFF), vm.describe());
        }
    }

    @Test
    void busyboxRebootWithoutDashFAsksInitWhichResets() throws Exception {
        try (EmberProcess vm = linuxExampleTyping("echo MARK-$((6*7))\\nreboot\\n")) {
            assertEquals(0, LinuxTests.awaitExit(vm, LinuxTests.bootTimeout()), "busybox reboot ends ember with 0\n" + vm.describe());
            assertTrue(LinuxTests.userOutput(vm).contains("EMBER-INIT: reboot"), "init took busybox's TERM as a reboot\n" + vm.describe());
            assertTrue(vm.stderr().contains(RESET), "reboot=k: the reset through the i8042, not ACPI\n" + vm.describe());
            assertFalse(vm.stderr().contains(POWERED_OFF), vm.describe());
        }
    }

    @Test
    void aGuestBootedWithAcpiOffFindsItsCpusInTheMpTableAndEndsOnReboot() throws Exception {
        Path cfg = new LinuxVmConfig(LinuxImages.vmlinux(), LinuxImages.BASE_CMDLINE
                + " acpi=off ember.cmd=\"test -e /sys/firmware/acpi || echo NO-ACPI-IN-SYSFS\"")
                .initrd(LinuxImages.initramfs())
                .machine(2, 256)
                .write(dir, "acpi-off");
        try (EmberProcess vm = EmberProcess.boot(cfg.toString())) {
            assertEquals(0, LinuxTests.awaitExit(vm, LinuxTests.bootTimeout()), "reboot ends ember with 0\n" + vm.describe());
            String out = vm.stdout();
            assertTrue(out.contains("EMBER-INIT: nproc 2"), "both vCPUs online from the MP table\n" + vm.describe());
            assertTrue(out.contains("found SMP MP-table at [mem 0x0009fc00-0x0009fc0f]"), vm.describe());
            assertFalse(out.contains(MADT), "acpi=off: the MADT is not read\n" + vm.describe());
            String user = LinuxTests.userOutput(vm);
            assertTrue(user.matches("(?s).*\nNO-ACPI-IN-SYSFS\r?\n.*"), "ACPI is off\n" + vm.describe());
            assertTrue(user.contains("EMBER-INIT: reboot"), vm.describe());
            assertTrue(vm.stderr().contains(RESET), vm.describe());
        }
    }

    /**
     * Debian's kernel (ACPI, PCI and every ACPI driver built in; the nested tier installs
     * linux-image-amd64), booted as a bzImage with the project's initramfs: a kernel that
     * enumerates the whole ACPI namespace still takes Ember's tables and powers off through them.
     */
    @Test
    void aDistributionKernelPowersOffThroughTheSameTables() throws Exception {
        Path cfg = new LinuxVmConfig(distributionKernel(),
                LinuxImages.BASE_CMDLINE + " ember.cmd=\"ls -1 /sys/firmware/acpi/tables\" ember.exit=poweroff")
                .initrd(LinuxImages.initramfs())
                .machine(2, 256)
                .write(dir, "distribution-kernel");
        try (EmberProcess vm = EmberProcess.boot(cfg.toString())) {
            assertEquals(0, LinuxTests.awaitExit(vm, DISTRO_BOOT), "the guest's poweroff ends ember with 0\n" + vm.describe());
            String out = vm.stdout();
            assertTrue(out.contains("EMBER-INIT: nproc 2"), "both vCPUs online, found in the MADT\n" + vm.describe());
            assertTrue(out.contains(MADT), vm.describe());
            assertTrue(out.contains("ACPI: PM: (supports S0 S5)"), "\\_S5 found in the DSDT\n" + vm.describe());
            assertTrue(LinuxTests.userOutput(vm).contains("EMBER-INIT: poweroff"), vm.describe());
            assertTrue(vm.stderr().contains(POWERED_OFF), "the VM ended by the guest's S5 request, not a reset\n" + vm.describe());
        }
    }

    /** A distribution kernel from /boot (EMBER_ACPI_KERNEL names another). */
    private static Path distributionKernel() throws IOException {
        String env = System.getenv("EMBER_ACPI_KERNEL");
        if (env != null) {
            return Path.of(env);
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/boot"), "vmlinuz-*")) {
            for (Path p : ds) {
                if (Files.isReadable(p)) {
                    return p;
                }
            }
        }
        assumeTrue(false, "no distribution kernel in /boot (apt-get install linux-image-amd64, or set EMBER_ACPI_KERNEL)");
        return null;
    }
}
