package dev.ember.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --enable-pci} as the test guest's PCI driver sees it (scenario {@code pci}): ACPI's MCFG
 * gives the ECAM window, the DSDT's host bridge the BAR window, 00:00.0 is the host bridge and
 * absent functions read all-ones; a function's BARs size, move and decode as the guest programs
 * them and its MSI-X table takes the guest's entries.
 */
@NeedsKvm
class PciIT {
    private static final Duration BOOT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private static int exit(EmberProcess vm) throws InterruptedException {
        int code = vm.awaitExit(BOOT);
        assertTrue(code >= 0, "ember did not exit\n" + vm.describe());
        return code;
    }

    @Test
    void busZeroIsFoundThroughMcfgWithTheHostBridgeAlone() throws Exception {
        try (EmberProcess vm = EmberProcess.boot(TestGuests.config(dir, "pci").toString(), "--enable-pci")) {
            assertEquals(0, exit(vm), vm.describe());
            assertTrue(vm.stdout().contains("pci: ecam 0xe0000000, window 0xe0100000-0xfdffffff"), vm.describe());
            assertTrue(vm.stdout().contains("pci: 00:00.0 1b36:0008 class 060000"), vm.describe());
            assertTrue(vm.stdout().contains("pci: 1 functions on bus 0"), vm.describe());
            assertTrue(vm.stdout().contains("EMBER-TEST: PASS pci"), vm.describe());
        }
    }

    @Test
    void aVirtioPciFunctionsBarMovesWhereTheGuestPutsItAndItsMsixTableTakesEntries() throws Exception {
        Path img = dir.resolve("disk.img");
        java.nio.file.Files.write(img, new byte[1 << 20]);
        Path cfg = TestGuests.config(dir, "pci");
        String json = java.nio.file.Files.readString(cfg).replaceFirst("\\n}\\n$", ",\n  \"drives\": [ { \"drive_id\": \"d\", \"path_on_host\": \""
                + img + "\", \"is_root_device\": false, \"is_read_only\": false } ]\n}\n");
        java.nio.file.Files.writeString(cfg, json);
        try (EmberProcess vm = EmberProcess.boot(cfg.toString(), "--enable-pci")) {
            assertEquals(0, exit(vm), vm.describe());
            String out = vm.stdout();
            assertTrue(out.contains("pci: 00:01.0 1af4:1042"), vm.describe());
            assertTrue(java.util.regex.Pattern.compile("pci: 00:01\\.0 bar \\d: 0x\\w+ bytes 64-bit at 0x\\w{9,}, moved to 0xfd\\w+").matcher(out).find(),
                    "the 64-bit BAR starts above 4 GiB and the guest moves it below\n" + vm.describe());
            assertTrue(out.contains("pci: 00:01.0 msix "), vm.describe());
            assertTrue(!out.contains("bar 1:") && !out.contains("bar 2:"), "BAR 0 is 64-bit and the others are unimplemented\n" + vm.describe());
            assertTrue(out.contains("pci: 2 functions on bus 0"), vm.describe());
            assertTrue(out.contains("EMBER-TEST: PASS pci"), vm.describe());
        }
    }

    @Test
    void withoutEnablePciTheGuestFindsNoMcfg() throws Exception {
        try (EmberProcess vm = EmberProcess.boot(TestGuests.config(dir, "pci").toString())) {
            assertEquals(1, exit(vm), vm.describe());
            assertTrue(vm.stdout().contains("EMBER-TEST: FAIL pci: no MCFG table"), vm.describe());
        }
    }
}
