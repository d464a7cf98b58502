package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.it.EmberProcess;
import dev.ember.testing.StorageDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Linux's own virtio-blk driver on a vhost-user drive ({@code socket}, Firecracker's
 * block-vhost-user.md) served by qemu-storage-daemon's vhost-user-blk export of an image file:
 * the guest sees the image's size, reads bytes the host put in it and writes bytes the host
 * then finds in the image file. Ember only negotiates and hands the queue, the shared guest RAM
 * and the eventfds to the daemon; every request goes guest → daemon → image. Runs in the
 * nested tier (guest user space: dd in the initramfs).
 */
@GuestUserSpace
class LinuxVhostUserBlockIT extends LinuxTest.UserSpace {
    private static final Duration TIMEOUT = LinuxTests.bootTimeout().plusMinutes(3);

    @Test
    void theGuestReadsAndWritesTheImageThroughQemuStorageDaemon() throws Exception {
        DiskRoundTrip disk = new DiskRoundTrip();
        Path image = Files.write(dir.resolve("vu.img"), disk.image());
        // conv=fsync ends with a flush: negotiated because cache_type is Writeback and the daemon offers it.
        Path cfg = new LinuxVmConfig(LinuxImages.vmlinux(), LinuxImages.BASE_CMDLINE + " ember.cmd=\"" + disk.command("vda") + "\"")
                .initrd(LinuxImages.initramfs())
                .vhostUserDrive("vu", dir.resolve("vu.sock"), "Writeback")
                .write(dir, "vhost-user-blk");
        try (StorageDaemon daemon = StorageDaemon.start(image, dir.resolve("vu.sock"), true);
                EmberProcess vm = EmberProcess.boot(cfg.toString())) {
            assertEquals(0, LinuxTests.awaitExit(vm, TIMEOUT), vm.describe() + "\nqemu-storage-daemon:\n" + daemon.output());
            disk.assertGuestSaw(vm, "/dev/vda");
        }
        disk.assertGuestWroteTo(image);
    }
}
