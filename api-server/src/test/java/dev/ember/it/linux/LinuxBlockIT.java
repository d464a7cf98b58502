package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.it.EmberProcess;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Linux with its root filesystem on Ember's virtio-blk: the ext4 image from
 * {@code guest-images/build}, attached as a writable root drive. Slow: {@code -Dember.slow=true}.
 * On PVM the kernel-side part runs (the mount, and what it wrote to the image); the user-space
 * part is skipped there, as in {@link LinuxBootIT}.
 */
class LinuxBlockIT extends LinuxTest {
    @Test
    void pvmProfileKernelMountsTheExt4RootFromVirtioBlkAndTheMountReachesTheImage() throws Exception {
        Path image = LinuxImages.rootfsCopy(dir);
        int before = Ext4Superblock.read(image).mountCount();
        // No root= here: is_root_device makes Ember add "root=/dev/vda rw" itself.
        Path cfg = new LinuxVmConfig(LinuxImages.pvmVmlinux(), LinuxImages.pvmCmdline())
                .machine(1, 64)
                .rootDrive(image)
                .write(dir, "pvm-ext4");
        try (EmberProcess vm = EmberProcess.boot(cfg.toString())) {
            LinuxTests.awaitConsole(vm, "virtio_blk virtio\\d+: \\[vda\\] 65536 512-byte logical blocks", LinuxTests.bootTimeout());
            LinuxTests.awaitConsole(vm, "EXT4-fs \\(vda\\): mounted filesystem", LinuxTests.bootTimeout());
            LinuxTests.awaitConsole(vm, "VFS: Mounted root \\(ext4 filesystem\\) on device 254:0\\.", LinuxTests.bootTimeout());
            LinuxTests.awaitConsole(vm, "Run /sbin/init as init process", LinuxTests.bootTimeout());
        }
        // A read-write mount increments s_mnt_count and commits the superblock synchronously,
        // so the count on the host has grown by the time init runs.
        assertEquals(before + 1, Ext4Superblock.read(image).mountCount(), "mount count of " + image);
    }

    @Test
    @GuestUserSpace
    void initRunsFromTheExt4RootAndItsWritesReachTheImage() throws Exception {
        LinuxTests.assumeGuestUserSpaceRuns();
        Path image = LinuxImages.rootfsCopy(dir);
        int before = Ext4Superblock.read(image).mountCount();
        String token = LinuxTests.token();
        Path cfg = new LinuxVmConfig(LinuxImages.vmlinux(), LinuxImages.BASE_CMDLINE
                + " root=/dev/vda rw ember.cmd=\"grep ' / ' /proc/mounts; echo " + token + " > /root/token\"")
                .machine(1, 128)
                .rootDrive(image)
                .write(dir, "ext4");
        try (EmberProcess vm = EmberProcess.boot(cfg.toString())) {
            assertEquals(0, LinuxTests.awaitExit(vm, LinuxTests.bootTimeout()), vm.describe());
            assertTrue(vm.stdout().contains("/dev/root / ext4 rw"), "root mounted read-write\n" + vm.describe());
            assertTrue(vm.stdout().contains("EMBER-INIT: exit 0"), vm.describe());
        }
        assertEquals(before + 1, Ext4Superblock.read(image).mountCount(), "mount count of " + image);
        assertEquals(token, LinuxTests.readFromImage(image, "/root/token"), "the file the guest wrote, read from the image on the host");
    }
}
