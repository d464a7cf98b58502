package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.it.EmberProcess;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Linux's virtio-rng driver on Ember's entropy device, read from user space ({@code /dev/hwrng}).
 * Runs in the nested tier. The rate-limit check is on amounts: with a bucket refilled at 4 bytes
 * per second, what the guest can read is bounded by the budget plus 4 bytes for every second the
 * VMM ran (measured on the host, so a slow machine only loosens the bound).
 */
@GuestUserSpace
class LinuxEntropyIT extends LinuxTest {
    /** A hang guard only: the JVM start alone took a minute in a loaded L1. */
    private static final java.time.Duration TIMEOUT = LinuxTests.bootTimeout().plusMinutes(3);

    @Test
    void hwrngReadsReturnTheBytesAskedFor() throws Exception {
        LinuxTests.assumeGuestUserSpaceRuns();
        Path cfg = new LinuxVmConfig(LinuxImages.vmlinux(), LinuxImages.BASE_CMDLINE
                + " ember.cmd=\"cat /sys/class/misc/hw_random/rng_current; echo hwrng \\$(head -c 4096 /dev/hwrng | wc -c)\"")
                .initrd(LinuxImages.initramfs())
                .section("entropy", "{}")
                .write(dir, "entropy");
        try (EmberProcess vm = EmberProcess.boot(cfg.toString())) {
            assertEquals(0, LinuxTests.awaitExit(vm, TIMEOUT), vm.describe());
            assertTrue(vm.stdout().contains("virtio_rng.0"), "the virtio-rng driver is the current hwrng\n" + vm.describe());
            assertTrue(vm.stdout().contains("hwrng 4096\n") || vm.stdout().contains("hwrng 4096\r\n"), vm.describe());
            assertTrue(vm.stdout().contains("EMBER-INIT: exit 0"), vm.describe());
        }
    }

    @Test
    void rateLimiterBoundsWhatTheGuestCanRead() throws Exception {
        LinuxTests.assumeGuestUserSpaceRuns();
        // 4096 bytes of one-time burst + a 4096-byte bucket, refilled over 1000 s (4 bytes/s).
        long budget = 8192;
        long bytesPerSecond = 4;
        Path cfg = new LinuxVmConfig(LinuxImages.vmlinux(), LinuxImages.BASE_CMDLINE
                + " ember.cmd=\"echo first \\$(head -c 4096 /dev/hwrng | wc -c); echo window \\$(timeout 5 cat /dev/hwrng | wc -c)\"")
                .initrd(LinuxImages.initramfs())
                .section("entropy", "{\"rate_limiter\": {\"bandwidth\": {\"size\": 4096, \"one_time_burst\": 4096, \"refill_time\": 1000000}}}")
                .write(dir, "entropy-limited");
        long start = System.nanoTime();
        try (EmberProcess vm = EmberProcess.boot(cfg.toString())) {
            assertEquals(0, LinuxTests.awaitExit(vm, TIMEOUT), vm.describe());
            long ranSeconds = (System.nanoTime() - start) / 1_000_000_000L + 1;
            Matcher first = Pattern.compile("first (\\d+)").matcher(vm.stdout());
            Matcher window = Pattern.compile("window (\\d+)").matcher(vm.stdout());
            assertTrue(first.find() && window.find(), vm.describe());
            assertEquals(4096, Long.parseLong(first.group(1)), "the budget covers the first 4096 bytes\n" + vm.describe());
            long inWindow = Long.parseLong(window.group(1));
            long bound = budget - 4096 + bytesPerSecond * ranSeconds;
            assertTrue(inWindow <= bound, "5 s of reading got " + inWindow + " bytes, more than the limiter allows (" + bound
                    + " after " + ranSeconds + " s)\n" + vm.describe());
            System.out.println("LinuxEntropyIT: " + inWindow + " bytes in a 5 s read under a 4 B/s limit (bound " + bound + ")");
        }
    }
}
