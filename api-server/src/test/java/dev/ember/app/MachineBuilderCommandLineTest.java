package dev.ember.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.ember.config.BootSourceConfig;
import org.junit.jupiter.api.Test;

/** The kernel command line's {@code pci=off}, as Firecracker sets it: there exactly when PCI is off. */
class MachineBuilderCommandLineTest {
    private static String line(String bootArgs, boolean pci) {
        return MachineBuilder.commandLine(new BootSourceConfig("vmlinux", bootArgs, null), pci);
    }

    @Test
    void withoutPciTheKernelIsToldThereIsNoBusOnce() {
        assertEquals(MachineBuilder.DEFAULT_BOOT_ARGS, line(null, false));
        assertEquals("console=ttyS0 root=/dev/vda pci=off", line(" console=ttyS0 root=/dev/vda ", false));
        assertEquals("console=ttyS0 pci=off quiet", line("console=ttyS0 pci=off quiet", false));
    }

    @Test
    void withPciNothingHidesTheBus() {
        assertFalse(line(null, true).contains("pci=off"), line(null, true));
        assertEquals("console=ttyS0 reboot=k panic=1 nomodule i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd", line("", true));
        assertEquals("console=ttyS0", line("console=ttyS0", true));
    }
}
