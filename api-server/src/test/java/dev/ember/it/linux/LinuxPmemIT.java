package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.it.EmberProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Linux's virtio-pmem driver (libnvdimm, {@code /dev/pmemN}) on Ember's pmem device. Runs in
 * the nested tier: the root filesystem on {@code /dev/pmem0} (Ember adds {@code root=/dev/pmem0
 * rw}), and a data device whose bytes the guest reads and writes with a flush (dd's fsync is a
 * block-layer flush, which virtio-pmem turns into FLUSH, which Ember turns into fsync of the file).
 */
@GuestUserSpace
class LinuxPmemIT extends LinuxTest.UserSpace {
    /** A hang guard only. */
    private static final Duration TIMEOUT = LinuxTests.bootTimeout().plusMinutes(3);

    @Test
    void theRootFilesystemOnPmemBootsAndItsWritesReachTheFile() throws Exception {
        Path image = LinuxImages.rootfsCopy(dir);
        String token = LinuxTests.token();
        // No root= here: root_device makes Ember add "root=/dev/pmem0 rw", as Firecracker does.
        Path cfg = new LinuxVmConfig(LinuxImages.vmlinux(), LinuxImages.BASE_CMDLINE
                + " ember.cmd=\"grep ' / ' /proc/mounts; echo " + token + " > /root/token\"")
                .pmem("rootfs", image, true, false)
                .write(dir, "pmem-root");
        try (EmberProcess vm = EmberProcess.boot(cfg.toString())) {
            assertEquals(0, LinuxTests.awaitExit(vm, TIMEOUT), vm.describe());
            assertTrue(vm.stdout().contains("/dev/root / ext4 rw") || vm.stdout().contains("/dev/pmem0 / ext4 rw"),
                    "the root is the ext4 image on /dev/pmem0, read-write\n" + vm.describe());
            assertTrue(vm.stdout().contains("EMBER-INIT: exit 0"), vm.describe());
        }
        assertEquals(token, LinuxTests.readFromImage(image, "/root/token"), "the file the guest wrote on /dev/pmem0, read from the image on the host");
    }

    @Test
    void aDataDeviceShowsTheHostsBytesAndTheGuestsFlushedWritesAreOnTheHost() throws Exception {
        DiskRoundTrip disk = new DiskRoundTrip();
        Path file = Files.write(dir.resolve("data.img"), disk.image());
        // dd's conv=fsync ends with fsync(/dev/pmem0): a block-layer flush, virtio-pmem's FLUSH.
        Path cfg = new LinuxVmConfig(LinuxImages.vmlinux(), LinuxImages.BASE_CMDLINE + " ember.cmd=\"" + disk.command("pmem0") + "\"")
                .initrd(LinuxImages.initramfs())
                .pmem("data", file, false, false)
                .write(dir, "pmem-data");
        try (EmberProcess vm = EmberProcess.boot(cfg.toString())) {
            assertEquals(0, LinuxTests.awaitExit(vm, TIMEOUT), vm.describe());
            disk.assertGuestSaw(vm, "/dev/pmem0");
        }
        disk.assertGuestWroteTo(file);
    }
}
