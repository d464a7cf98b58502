package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.it.EmberProcess;
import dev.ember.testing.StorageDaemon;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
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
        String token = LinuxTests.token();
        byte[] host = ("HOSTDATA-" + token).getBytes(StandardCharsets.US_ASCII);
        Path image = StorageDaemon.rawImage(dir.resolve("vu.img"), 4 << 20, 1 << 20, host);
        String guest = "GUESTDATA-" + token;
        // conv=fsync ends with a flush: negotiated because cache_type is Writeback and the daemon offers it.
        Path cfg = new LinuxVmConfig(LinuxImages.vmlinux(), LinuxImages.BASE_CMDLINE
                + " ember.cmd=\"echo size \\$(cat /sys/block/vda/size);"
                + " echo host \\$(dd if=/dev/vda bs=1024 skip=1024 count=1 2>/dev/null | head -c " + host.length + ");"
                + " printf " + guest + " > /tmp/g; dd if=/tmp/g of=/dev/vda bs=4096 seek=2 conv=notrunc,fsync; echo dd \\$?\"")
                .initrd(LinuxImages.initramfs())
                .vhostUserDrive("vu", dir.resolve("vu.sock"), "Writeback")
                .write(dir, "vhost-user-blk");
        try (StorageDaemon daemon = StorageDaemon.start(image, dir.resolve("vu.sock"), true);
                EmberProcess vm = EmberProcess.boot(cfg.toString())) {
            assertEquals(0, LinuxTests.awaitExit(vm, TIMEOUT), vm.describe() + "\nqemu-storage-daemon:\n" + daemon.output());
            String out = vm.stdout();
            assertTrue(out.contains("size 8192"), "/dev/vda is the 4 MiB image (8192 sectors)\n" + vm.describe());
            assertTrue(out.contains("host HOSTDATA-" + token), "the guest read the host's bytes at 1 MiB\n" + vm.describe());
            assertTrue(out.contains("dd 0"), vm.describe());
        }
        byte[] onFile = Files.readAllBytes(image);
        assertEquals(4 << 20, onFile.length);
        byte[] g = guest.getBytes(StandardCharsets.US_ASCII);
        assertTrue(Arrays.equals(g, Arrays.copyOfRange(onFile, 8192, 8192 + g.length)),
                "the guest's bytes at 8 KiB of the image: " + new String(Arrays.copyOfRange(onFile, 8192, 8192 + g.length), StandardCharsets.US_ASCII));
    }
}
