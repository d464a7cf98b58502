package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.it.EmberProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
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
        String token = LinuxTests.token();
        byte[] data = new byte[4 << 20];
        byte[] host = ("HOSTDATA-" + token).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(host, 0, data, 1 << 20, host.length);
        Path file = Files.write(dir.resolve("data.img"), data);
        String guest = "GUESTDATA-" + token;
        // dd's conv=fsync ends with fsync(/dev/pmem0): a block-layer flush, virtio-pmem's FLUSH.
        Path cfg = new LinuxVmConfig(LinuxImages.vmlinux(), LinuxImages.BASE_CMDLINE
                + " ember.cmd=\"echo size \\$(cat /sys/block/pmem0/size);"
                + " echo host \\$(dd if=/dev/pmem0 bs=1024 skip=1024 count=1 2>/dev/null | head -c " + host.length + ");"
                + " printf " + guest + " > /tmp/g; dd if=/tmp/g of=/dev/pmem0 bs=4096 seek=2 conv=notrunc,fsync; echo dd \\$?\"")
                .initrd(LinuxImages.initramfs())
                .pmem("data", file, false, false)
                .write(dir, "pmem-data");
        try (EmberProcess vm = EmberProcess.boot(cfg.toString())) {
            assertEquals(0, LinuxTests.awaitExit(vm, TIMEOUT), vm.describe());
            String out = vm.stdout();
            assertTrue(out.contains("size 8192"), "/dev/pmem0 is the 4 MiB file (8192 sectors)\n" + vm.describe());
            assertTrue(out.contains("host HOSTDATA-" + token), "the guest read the host's bytes at 1 MiB\n" + vm.describe());
            assertTrue(out.contains("dd 0"), vm.describe());
        }
        byte[] onFile = Files.readAllBytes(file);
        assertEquals(4 << 20, onFile.length);
        byte[] g = guest.getBytes(StandardCharsets.US_ASCII);
        assertTrue(Arrays.equals(g, Arrays.copyOfRange(onFile, 8192, 8192 + g.length)),
                "the guest's bytes at 8 KiB of the file: " + new String(Arrays.copyOfRange(onFile, 8192, 8192 + g.length), StandardCharsets.US_ASCII));
    }
}
