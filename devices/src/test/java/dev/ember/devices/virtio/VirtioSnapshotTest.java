package dev.ember.devices.virtio;

import static dev.ember.devices.virtio.BlockHarness.DATA;
import static dev.ember.devices.virtio.VirtioBlock.S_OK;
import static dev.ember.devices.virtio.VirtioBlock.T_IN;
import static dev.ember.devices.virtio.VirtioBlock.T_OUT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.eventloop.EventLoop;
import dev.ember.memory.GuestMemory;
import dev.ember.snapshot.SnapshotFormatException;
import dev.ember.snapshot.StateReader;
import dev.ember.snapshot.StateWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A driven virtio-blk transport is saved, a new device and transport are built on the same
 * guest memory and image and restored, and the driver carries on with the same ring: no
 * renegotiation, the used index continues, requests still reach the file.
 */
@ExtendWith(GuestMemoryAndLoop.class)
class VirtioSnapshotTest {
    static GuestMemory mem;
    static EventLoop loop;
    @TempDir Path dir;


    private static <T> T onLoop(Supplier<T> task) throws Exception {
        CompletableFuture<T> f = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                f.complete(task.get());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f.get();
    }

    @Test
    void restoredTransportContinuesTheDriversQueue() throws Exception {
        Path img = Files.write(dir.resolve("disk.img"), new byte[64 * 512]);
        VirtioBlock first = new VirtioBlock("snapdisk", img, false, BlockCacheType.WRITEBACK, null);
        BlockHarness h = new BlockHarness(mem, loop, first, -1L);
        mem.fill(DATA, 512, (byte) 0x11);
        assertEquals(S_OK, h.request(T_OUT, 1, 512, false));
        assertEquals(S_OK, h.request(T_IN, 1, 512, true));
        int statusBefore = h.d.r(VirtioMmioDevice.REG_STATUS);
        byte[] state = onLoop(() -> {
            StateWriter w = new StateWriter();
            h.d.transport.saveState(w);
            return w.toByteArray();
        });
        h.close();

        VirtioBlock second = new VirtioBlock("snapdisk", img, false, BlockCacheType.WRITEBACK, null);
        try (TestDriver d2 = new TestDriver(mem, loop, second)) {
            onLoop(() -> {
                StateReader r = new StateReader("virtio0", state);
                d2.transport.restoreState(r);
                r.end();
                return null;
            });
            assertEquals(statusBefore, d2.r(VirtioMmioDevice.REG_STATUS), "status (DRIVER_OK) restored without renegotiation");
            assertEquals(2, h.ring.usedIdx());
            mem.fill(DATA, 512, (byte) 0x22);
            h.ring.setDesc(0, BlockHarness.HDR, 16, Virtio.DESC_F_NEXT, 1);
            mem.putInt(BlockHarness.HDR, T_OUT);
            mem.putLong(BlockHarness.HDR + 8, 2);
            h.ring.setDesc(1, DATA, 512, Virtio.DESC_F_NEXT, 2);
            h.ring.setDesc(2, BlockHarness.STATUS, 1, Virtio.DESC_F_WRITE, 0);
            // EVENT_IDX was negotiated: ask for an interrupt once the used index passes 2.
            mem.putShort(h.ring.avail + 4 + 2L * h.ring.size, (short) 2);
            h.ring.publish(0);
            d2.kick(0);
            TestDriver.await(() -> h.ring.usedIdx() == 3, "the third request completes on the restored transport");
            assertEquals(S_OK, mem.getByte(BlockHarness.STATUS));
            byte[] sector2 = new byte[512];
            System.arraycopy(Files.readAllBytes(img), 2 * 512, sector2, 0, 512);
            byte[] expected = new byte[512];
            java.util.Arrays.fill(expected, (byte) 0x22);
            assertArrayEquals(expected, sector2);
            assertTrue(d2.interrupts() > 0, "used-ring interrupt from the restored transport");
        }
    }

    @Test
    void stateOfAnotherDeviceTypeIsRefused() throws Exception {
        byte[] state = new StateWriter().i32(Virtio.DEVICE_ID_BLOCK + 99).i32(1).toByteArray();
        Path img = Files.write(dir.resolve("d2.img"), new byte[4096]);
        try (TestDriver d = new TestDriver(mem, loop, new VirtioBlock("other", img, false, BlockCacheType.WRITEBACK, null))) {
            Exception e = assertThrows(Exception.class, () -> onLoop(() -> {
                d.transport.restoreState(new StateReader("virtio0", state));
                return null;
            }));
            assertTrue(e.getCause() instanceof SnapshotFormatException, String.valueOf(e));
            assertTrue(e.getCause().getMessage().contains("virtio device type"), e.getCause().getMessage());
        }
    }
}
