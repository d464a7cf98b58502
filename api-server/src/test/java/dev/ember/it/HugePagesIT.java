package dev.ember.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.testing.Smaps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code machine-config.huge_pages} through the real {@code bin/ember}: the test guest runs on RAM
 * backed as configured, which the VMM's /proc/PID/smaps shows, and a hugetlbfs pool too small
 * for the guest is refused before anything runs, with the command that fixes it.
 */
@NeedsKvm
class HugePagesIT {
    private static final Duration BOOT = Duration.ofSeconds(60);
    private static final int MEM_MIB = 128;
    private static final Path NR_HUGEPAGES = Path.of("/proc/sys/vm/nr_hugepages");

    @TempDir
    Path dir;

    private Path config(String hugePages, int memMib) throws IOException {
        Path f = dir.resolve("huge-" + hugePages + ".json");
        Files.writeString(f, "{\"boot-source\": {\"kernel_image_path\": \"" + TestGuests.image() + "\","
                + " \"boot_args\": \"console=ttyS0 ember.test=idle\"},"
                + " \"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": " + memMib + ", \"huge_pages\": \"" + hugePages + "\"}}");
        return f;
    }

    /** The guest-RAM mapping of the running VMM (the one mapping of exactly the guest's size). */
    private static Smaps.Mapping guestRam(EmberProcess vm) throws IOException {
        List<Smaps.Mapping> ram = Smaps.sized(Smaps.of(vm.pid()), (long) MEM_MIB << 20);
        assertEquals(1, ram.size(), "one mapping of " + MEM_MIB + " MiB: " + ram);
        return ram.get(0);
    }

    @Test
    void twoMibHugePagesBackTheGuestsRam() throws Exception {
        assumeTrue(Files.isWritable(NR_HUGEPAGES), "reserving huge pages needs root");
        long before = Long.parseLong(Files.readString(NR_HUGEPAGES).trim());
        try {
            Files.writeString(NR_HUGEPAGES, Long.toString(before + MEM_MIB / 2));
            assumeTrue(meminfo("HugePages_Free") >= MEM_MIB / 2, "the kernel could not add " + MEM_MIB / 2 + " pages to the pool");
            try (EmberProcess vm = EmberProcess.boot(config("2M", MEM_MIB).toString())) {
                vm.awaitStdout("EMBER-TEST: READY idle", BOOT);
                Smaps.Mapping ram = guestRam(vm);
                assertEquals(2048, ram.kib("KernelPageSize"), "hugetlbfs 2 MiB pages: " + ram.kib());
                vm.awaitStdout("tick 2\n", BOOT); // still running on them
                vm.terminate();
                assertEquals(0, vm.awaitExit(BOOT), vm.describe());
            }
        } finally {
            Files.writeString(NR_HUGEPAGES, Long.toString(before));
        }
    }

    @Test
    void aHugePagePoolTooSmallIsRefusedBeforeBootNamingTheFix() throws Exception {
        long free = meminfo("HugePages_Free");
        int memMib = (int) (free + 1) * 2;
        try (EmberProcess vm = EmberProcess.boot(config("2M", memMib).toString())) {
            assertEquals(152, vm.awaitExit(BOOT), vm.describe());
            assertTrue(vm.stderr().contains("machine-config.huge_pages is 2M: guest memory needs " + (free + 1)
                    + " free 2 MiB huge pages, but the host has " + free), vm.describe());
            assertTrue(vm.stderr().contains("echo " + (free + 1) + " > /proc/sys/vm/nr_hugepages"), vm.describe());
            assertFalse(vm.stdout().contains("EMBER-TEST"), "nothing ran");
        }
    }

    @Test
    void transparentHugePagesBackWhatTheGuestTouched() throws Exception {
        String thp = Files.readString(Path.of("/sys/kernel/mm/transparent_hugepage/enabled"));
        assumeFalse(thp.contains("[never]"), "transparent huge pages are off on this host: " + thp.trim());
        try (EmberProcess vm = EmberProcess.boot(config("Transparent", MEM_MIB).toString())) {
            vm.awaitStdout("EMBER-TEST: READY idle", BOOT);
            Smaps.Mapping ram = guestRam(vm);
            assertTrue(ram.kib("AnonHugePages") >= 2048, "the loader's and the guest's writes landed in huge pages: " + ram.kib());
            vm.terminate();
            assertEquals(0, vm.awaitExit(BOOT), vm.describe());
        }
    }

    private static long meminfo(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1).replace("kB", "").trim());
            }
        }
        throw new AssertionError("no " + field + " in /proc/meminfo");
    }
}
