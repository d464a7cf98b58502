package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.it.EmberProcess;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Linux guest with ACPI powering itself off: it finds Ember's ACPI tables (its CPUs in the
 * MADT, the FADT's PM1a control port, {@code \_S5} in the DSDT), and its S5 request ends
 * {@code ember} with exit status 0; booted with {@code acpi=off} it still finds both CPUs in
 * the MP table. The guest kernel is Debian's (ACPI and PCI built in; the nested tier installs
 * linux-image-amd64), with the project's initramfs: the microVM kernel of guest-images/build
 * has no ACPI yet. Needs guest user space ({@link GuestUserSpace}): on PVM hosts these run in
 * the nested tier.
 */
@GuestUserSpace
class LinuxPowerOffIT {
    private static final String POWERED_OFF = "guest powered off (ACPI S5 through PM1a_CNT)";
    /** A distribution kernel probes far more than the microVM kernel: give it longer. */
    private static final Duration DISTRO_BOOT = LinuxTests.bootTimeout().multipliedBy(3);

    @TempDir
    Path dir;

    @BeforeEach
    void linuxUserSpace() {
        LinuxTests.assumeSlowTestsOnKvm();
        LinuxTests.assumeGuestUserSpaceRuns();
    }

    /** A kernel with ACPI: Debian's in /boot (EMBER_ACPI_KERNEL names another). */
    private static Path acpiKernel() throws IOException {
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
        assumeTrue(false, "no kernel with ACPI in /boot (apt-get install linux-image-amd64, or set EMBER_ACPI_KERNEL)");
        return null;
    }

    private Path config(String name, String extraArgs) throws IOException {
        return new LinuxVmConfig(acpiKernel(), LinuxImages.BASE_CMDLINE + " " + extraArgs)
                .initrd(LinuxImages.initramfs())
                .machine(2, 256)
                .write(dir, name);
    }

    @Test
    void aGuestPoweroffEndsEmberWithZeroThroughAcpi() throws Exception {
        Path cfg = config("poweroff", "ember.cmd=\"ls -1 /sys/firmware/acpi/tables\" ember.exit=poweroff");
        try (EmberProcess vm = EmberProcess.boot(cfg.toString())) {
            assertEquals(0, LinuxTests.awaitExit(vm, DISTRO_BOOT), "the guest's poweroff ends ember with 0\n" + vm.describe());
            String out = vm.stdout();
            assertTrue(out.contains("EMBER-INIT: nproc 2"), "both vCPUs online, found in the MADT\n" + vm.describe());
            assertTrue(out.contains("ACPI: Using ACPI (MADT) for SMP configuration information"), vm.describe());
            for (String table : new String[] {"APIC", "DSDT", "FACP", "FACS"}) {
                assertTrue(out.matches("(?s).*\n" + table + "\r?\n.*"), "the kernel loaded Ember's " + table + "\n" + vm.describe());
            }
            assertTrue(out.contains("ACPI: PM: (supports S0 S5)"), "\\_S5 found in the DSDT\n" + vm.describe());
            assertTrue(out.contains("EMBER-INIT: poweroff"), vm.describe());
            assertTrue(vm.stderr().contains(POWERED_OFF), "the VM ended by the guest's S5 request, not a reset\n" + vm.describe());
        }
    }

    @Test
    void aGuestBootedWithAcpiOffFindsItsCpusInTheMpTableAndEndsOnReboot() throws Exception {
        Path cfg = config("acpi-off", "acpi=off ember.cmd=\"ls /sys/firmware/acpi\"");
        try (EmberProcess vm = EmberProcess.boot(cfg.toString())) {
            assertEquals(0, LinuxTests.awaitExit(vm, DISTRO_BOOT), "reboot ends ember with 0\n" + vm.describe());
            String out = vm.stdout();
            assertTrue(out.contains("EMBER-INIT: nproc 2"), "both vCPUs online from the MP table\n" + vm.describe());
            assertTrue(out.contains("found SMP MP-table at [mem 0x0009fc00-0x0009fc0f]"), vm.describe());
            assertTrue(out.contains("EMBER-INIT: exit 1"), "no /sys/firmware/acpi: ACPI is off\n" + vm.describe());
            assertTrue(out.contains("EMBER-INIT: reboot"), vm.describe());
        }
    }
}
