package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.it.EmberProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Linux with {@code --enable-pci} (issue 17): virtio-blk, virtio-net and virtio-rng are virtio-pci
 * functions on the root complex, not virtio-mmio windows. The guest's modern virtio-pci driver
 * probes them through ECAM, takes their interrupts as MSI-X ({@code /proc/interrupts} shows
 * PCI-MSI lines for their queues), mounts its ext4 root from the block device, gets its address
 * by DHCP over the net device, pings the host and reads {@code /dev/hwrng}. Runs in the nested tier.
 */
@GuestUserSpace
class LinuxPciIT extends LinuxTest.UserSpace {
    private static final Pattern BLOCK_MSI = Pattern.compile("PCI-MSI\\S*\\s.*virtio\\d+-req\\.0");
    private static final Pattern NET_MSI = Pattern.compile("PCI-MSI\\S*\\s.*virtio\\d+-input\\.0");
    private static final Pattern ON_PCI = Pattern.compile("VIRTIO /sys/devices/pci0000:00/0000:00:\\p{XDigit}{2}\\.0/virtio\\d+");

    @BeforeEach
    void networking() {
        String why = DhcpNetwork.unavailableReason();
        assumeTrue(why == null, why);
    }

    @Test
    void blockNetAndEntropyAreVirtioPciFunctionsWithMsixAndTheGuestUsesThem() throws Exception {
        Path image = LinuxImages.rootfsCopy(dir);
        String token = LinuxTests.token();
        try (DhcpNetwork net = DhcpNetwork.start(dir)) {
            // No root= and no virtio_mmio.device=: Ember adds root=/dev/vda rw, and with PCI no MMIO devices at all.
            Path cfg = new LinuxVmConfig(LinuxImages.vmlinux(), LinuxImages.BASE_CMDLINE + " ip=dhcp ember.cmd=\""
                    + "cat /proc/cmdline; grep ' / ' /proc/mounts; grep PCI-MSI /proc/interrupts;"
                    + " for d in /sys/bus/virtio/devices/*; do echo VIRTIO \\$(readlink -f \\$d); done;"
                    + " ping -c 1 -W 5 " + DhcpNetwork.HOST_IP + "; cat /sys/class/misc/hw_random/rng_current;"
                    + " echo hwrng \\$(head -c 4096 /dev/hwrng | wc -c); echo " + token + " > /root/token\"")
                    .machine(1, 128)
                    .rootDrive(image)
                    .network(DhcpNetwork.TAP, DhcpNetwork.GUEST_MAC)
                    .section("entropy", "{}")
                    .write(dir, "pci");
            try (EmberProcess vm = EmberProcess.startVia(net.wrapper(), "--no-api", "--config-file", cfg.toString(), "--enable-pci")) {
                assertEquals(0, LinuxTests.awaitExit(vm, LinuxTests.bootTimeout()), vm.describe());
                String out = LinuxTests.userOutput(vm);
                assertFalse(vm.stdout().contains("virtio_mmio.device="), "no virtio-mmio devices with PCI\n" + vm.describe());
                assertTrue(out.contains("/dev/root / ext4 rw") || out.contains("/dev/vda / ext4 rw"),
                        "the ext4 root on the virtio-pci block device\n" + vm.describe());
                assertTrue(BLOCK_MSI.matcher(out).find(), "virtio-blk's queue interrupt is an MSI-X vector\n" + vm.describe());
                assertTrue(NET_MSI.matcher(out).find(), "virtio-net's RX queue interrupt is an MSI-X vector\n" + vm.describe());
                assertEquals(3, ON_PCI.matcher(out).results().count(), "the three virtio devices sit on PCI bus 0\n" + vm.describe());
                assertTrue(out.contains("1 packets transmitted, 1 packets received"), "ping over virtio-net\n" + vm.describe());
                assertTrue(out.contains("virtio_rng.0"), "virtio-rng over PCI is the current hwrng\n" + vm.describe());
                assertTrue(out.contains("hwrng 4096"), "/dev/hwrng gave the 4096 bytes asked for\n" + vm.describe());
                assertTrue(out.contains("EMBER-INIT: exit 0"), vm.describe());
            }
        }
        assertEquals(token, LinuxTests.readFromImage(image, "/root/token"), "the guest's write through virtio-pci, read from the image on the host");
    }

    /**
     * virtio-vsock over PCI: its three queues (RX, TX, event) get MSI-X vectors, and a host
     * connection through the hybrid Unix socket reaches the guest's echo listener and comes back.
     */
    @Test
    void vsockOverPciEchoesAHostConnection() throws Exception {
        Path uds = dir.resolve("v.sock");
        Path cfg = new LinuxVmConfig(LinuxImages.vmlinux(), LinuxImages.BASE_CMDLINE)
                .initrd(LinuxImages.initramfs())
                .machine(2, 128)
                .vsock(3, uds)
                .write(dir, "pci-vsock");
        try (EmberProcess vm = EmberProcess.boot(cfg.toString(), "--enable-pci")) {
            vm.awaitStdout("EMBER-INIT: shell", LinuxTests.bootTimeout());
            vm.type("ember-vsock listen 5000 &\n");
            vm.awaitStdout("ember-vsock: listening on 5000\r?$", Duration.ofMinutes(3));
            byte[] data = new byte[256 << 10];
            new java.util.Random(5).nextBytes(data);
            try (java.nio.channels.SocketChannel c = dev.ember.it.HybridVsock.connect(uds, 5000)) {
                c.write(java.nio.ByteBuffer.wrap(data));
                assertArrayEquals(data, dev.ember.it.HybridVsock.readExactly(c, data.length), "echoed by the guest\n" + vm.describe());
            }
            vm.type("grep -c 'PCI-MSI.*virtio0-' /proc/interrupts; echo VEC-$((6*7))\n");
            Matcher vectors = vm.awaitStdout("(\\d+)\\s+VEC-42", Duration.ofMinutes(3));
            String n = vectors.group(1);
            assertTrue(Integer.parseInt(n) >= 3, "vsock's config and queue vectors are MSI-X: " + n + "\n" + vm.describe());
            vm.type("reboot -f\n");
            assertEquals(0, LinuxTests.awaitExit(vm, Duration.ofMinutes(3)), vm.describe());
        }
    }
}
