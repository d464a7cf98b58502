package dev.ember.devices.virtio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.devices.virtio.vhost.VhostUserAbi;
import dev.ember.devices.virtio.vhost.VhostUserBlock;
import dev.ember.devices.virtio.vhost.VhostUserException;
import dev.ember.eventloop.EventLoop;
import dev.ember.memory.GuestMemory;
import dev.ember.metrics.Metrics;
import dev.ember.testing.StorageDaemon;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link VhostUserBlock} behind the virtio-mmio transport, driven through its registers as a
 * guest driver would, with qemu-storage-daemon as the back-end and no VM: the configuration
 * space comes from the back-end, DRIVER_OK hands the ring over, a notify reaches the back-end
 * through the queue's eventfd (never the VMM's loop), the back-end's interrupt arrives on the
 * line's eventfd while InterruptStatus says "used buffer", and a reset followed by a new
 * DRIVER_OK serves requests again, continuing where the ring was.
 */
class VhostUserBlockTest {
    private static final int SECTOR = 512;
    private static final long IMAGE_BYTES = 2 << 20;
    private static final long HEADER = 0x20000, DATA = 0x21000, STATUS = 0x22000;

    @TempDir Path dir;

    @Test
    void aDriverReadsAndWritesThroughTheBackEnd() throws Exception {
        byte[] sector7 = pattern(7);
        Path image = StorageDaemon.rawImage(dir.resolve("disk.img"), IMAGE_BYTES, 7L * SECTOR, sector7);
        try (StorageDaemon daemon = StorageDaemon.start(image, dir.resolve("vu.sock"), true);
                GuestMemory mem = GuestMemory.createShared(4 << 20);
                EventLoop loop = new EventLoop()) {
            loop.start("test-vhost-loop");
            VhostUserBlock device = VhostUserBlock.connect("vu0", daemon.socket(), true, 10_000);
            assertEquals(IMAGE_BYTES / SECTOR, device.capacitySectors());
            long offered = device.deviceFeatures();
            assertTrue((offered & Virtio.bit(VirtioBlock.F_FLUSH)) != 0, "flush offered with Writeback");
            assertEquals(0, offered & (1L << VhostUserAbi.F_PROTOCOL_FEATURES), "the vhost-user bit is not the guest's");
            assertTrue(Metrics.group("vhost_user_block_vu0").gauge("init_time_us").get() > 0, "init_time_us stored");

            try (TestDriver d = new TestDriver(mem, loop, device)) {
                assertEquals(IMAGE_BYTES / SECTOR, (d.r(VirtioMmioDevice.REG_CONFIG) & 0xffffffffL)
                        | ((long) d.r(VirtioMmioDevice.REG_CONFIG + 4) << 32), "capacity through the config space");
                TestRing ring = new TestRing(mem, 16, 0x10000);
                d.negotiate(-1L);
                d.setupQueue(0, ring);
                d.driverOk();
                d.sync();
                assertEquals(0, d.r(VirtioMmioDevice.REG_STATUS) & Virtio.STATUS_DEVICE_NEEDS_RESET, "activated");

                d.interrupts(); // libvhost-user signals a call fd when it is handed one: not this request's
                request(mem, ring, 0, VirtioBlock.T_IN, 7);
                d.kick(0);
                awaitUsed(d, ring, 1);
                assertEquals(SECTOR + 1, ring.usedLen(0));
                assertEquals(VirtioBlock.S_OK, mem.getByte(STATUS));
                byte[] read = new byte[SECTOR];
                mem.read(DATA, read, 0, SECTOR);
                assertArrayEquals(sector7, read, "sector 7 of the image");
                assertEquals(Virtio.INT_USED_RING, d.ackInterrupts(), "InterruptStatus says used buffer though the VMM raised nothing");

                // PATCH of the drive: the configuration space read again, the driver told of a change.
                int generation = d.r(VirtioMmioDevice.REG_CONFIG_GENERATION);
                d.interrupts();
                device.refreshConfig();
                d.sync();
                assertTrue(d.r(VirtioMmioDevice.REG_CONFIG_GENERATION) != generation, "configuration generation moved");
                assertEquals(Virtio.INT_CONFIG | Virtio.INT_USED_RING, d.ackInterrupts(),
                        "a configuration change, and used buffer: the back-end's interrupt may have merged with it");
                assertTrue(d.interrupts() > 0, "configuration-change interrupt");
                assertEquals(IMAGE_BYTES / SECTOR, device.capacitySectors());
                assertTrue(Metrics.group("vhost_user_block_vu0").gauge("config_change_time_us").get() > 0, "config_change_time_us stored");

                // Reset and set the device up again on a fresh ring: the back-end is handed everything anew.
                d.reset();
                TestRing second = new TestRing(mem, 16, 0x30000);
                d.negotiate(-1L);
                d.setupQueue(0, second);
                d.driverOk();
                d.sync();
                byte[] sector9 = pattern(9);
                mem.write(DATA, sector9, 0, SECTOR);
                d.interrupts();
                request(mem, second, 0, VirtioBlock.T_OUT, 9);
                d.kick(0);
                awaitUsed(d, second, 1);
                assertEquals(VirtioBlock.S_OK, mem.getByte(STATUS));
                byte[] onDisk = StorageDaemon.read(image, 9L * SECTOR, SECTOR);
                assertArrayEquals(sector9, onDisk, "sector 9 of the image, as the driver wrote it");
            }
        }
    }

    @Test
    void aMissingBackEndIsAConnectError(@TempDir Path empty) {
        VhostUserException e = org.junit.jupiter.api.Assertions.assertThrows(VhostUserException.class,
                () -> VhostUserBlock.connect("vu1", empty.resolve("none.sock"), false, 1000));
        assertEquals(VhostUserException.Reason.CONNECT, e.reason());
        assertTrue(Metrics.groups().stream().noneMatch(g -> g.name().equals("vhost_user_block_vu1")),
                "no metrics group for a drive whose back-end was never reached");
    }

    private static void request(GuestMemory mem, TestRing ring, int n, int type, long sector) {
        mem.putInt(HEADER, type);
        mem.putInt(HEADER + 4, 0);
        mem.putLong(HEADER + 8, sector);
        mem.putByte(STATUS, (byte) 0xff);
        int head = 3 * n;
        ring.setDesc(head, HEADER, 16, Virtio.DESC_F_NEXT, head + 1);
        ring.setDesc(head + 1, DATA, SECTOR, Virtio.DESC_F_NEXT | (type == VirtioBlock.T_IN ? Virtio.DESC_F_WRITE : 0), head + 2);
        ring.setDesc(head + 2, STATUS, 1, Virtio.DESC_F_WRITE, 0);
        ring.publish(head);
    }

    /** Waits for the used index, each wake-up an interrupt edge on the line (the back-end signals it itself). */
    private static void awaitUsed(TestDriver d, TestRing ring, int usedIdx) {
        TestDriver.await(() -> ring.usedIdx() == usedIdx, "used index " + usedIdx);
        TestDriver.await(() -> d.interrupts() > 0, "the back-end's interrupt on the line's eventfd");
    }

    private static byte[] pattern(int seed) {
        byte[] b = new byte[SECTOR];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (seed * 13 + i * 3);
        }
        return b;
    }
}
