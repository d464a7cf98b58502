package dev.ember.devices.virtio;

import static dev.ember.devices.virtio.BlockHarness.*;
import static dev.ember.devices.virtio.VirtioBlock.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.ember.eventloop.EventLoop;
import dev.ember.memory.GuestMemory;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** virtio-blk against a real image file: bytes are checked in the file itself. */
@ExtendWith(GuestMemoryAndLoop.class)
class VirtioBlockTest {
    static final int SECTORS = 256; // 128 KiB image
    static GuestMemory mem;
    static EventLoop loop;
    @TempDir Path dir;


    Path image(int sectors) throws IOException {
        Path img = Files.createTempFile(dir, "disk", ".img");
        byte[] b = new byte[sectors * 512];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (i / 512 + 1); // each sector filled with its number + 1
        }
        Files.write(img, b);
        return img;
    }

    /** The engine every test here runs with; {@link VirtioBlockAsyncTest} runs them all again with ASYNC. */
    BlockIoEngine engine() {
        return BlockIoEngine.SYNC;
    }

    VirtioBlock block(String id, Path img, boolean readOnly, BlockCacheType cache) {
        return new VirtioBlock(id, img, readOnly, cache, null, engine());
    }

    static String uniqueId(String base) {
        return base + Long.toHexString(System.nanoTime() & 0xFFFFF);
    }

    static byte[] fileBytes(Path p, long off, int len) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "r")) {
            byte[] b = new byte[len];
            f.seek(off);
            f.readFully(b);
            return b;
        }
    }

    @Test
    void writeFlushReadRoundTripsThroughTheFile() throws IOException {
        Path img = image(SECTORS);
        VirtioBlock blk = block(uniqueId("rw"), img, false, BlockCacheType.WRITEBACK);
        try (BlockHarness h = new BlockHarness(mem, loop, blk, -1L)) {
            byte[] pattern = new byte[4096];
            for (int i = 0; i < pattern.length; i++) {
                pattern[i] = (byte) (i * 7 + 3);
            }
            mem.write(DATA, pattern, 0, pattern.length);
            assertEquals(S_OK, h.request(T_OUT, 10, 4096, false));
            assertEquals(1, h.lastUsedLen());
            assertArrayEquals(pattern, fileBytes(img, 10 * 512, 4096), "bytes landed in the image file");
            assertEquals(S_OK, h.request(T_FLUSH, 0, 0, false));

            mem.fill(DATA, 4096, (byte) 0);
            assertEquals(S_OK, h.request(T_IN, 10, 4096, true));
            assertEquals(4097, h.lastUsedLen());
            byte[] back = new byte[4096];
            mem.read(DATA, back, 0, 4096);
            assertArrayEquals(pattern, back);

            assertEquals(S_OK, h.request(T_IN, 0, 512, true));
            assertEquals(1, mem.getByte(DATA + 100), "untouched sector 0 reads its original content");

            assertEquals(4096, blk.metrics().counter("write_bytes").get());
            assertEquals(4096 + 512, blk.metrics().counter("read_bytes").get());
            assertEquals(1, blk.metrics().counter("flush_count").get());
            assertEquals(2, blk.metrics().counter("read_count").get());
            assertTrue(h.d.interrupts() > 0, "completions raised the used-ring interrupt");
        }
    }

    /**
     * Firecracker's event_fails: an interrupt the device could not raise (its irqfd is gone, as
     * while a VM is torn down) is counted, in the device's group and the aggregate, and the
     * request is still completed in the used ring.
     */
    @Test
    void anInterruptThatCannotBeRaisedIsCountedInEventFails() throws IOException {
        Path img = image(SECTORS);
        String id = uniqueId("irqfail");
        VirtioBlock blk = block(id, img, true, BlockCacheType.UNSAFE);
        // Without EVENT_IDX every completion asks for an interrupt.
        try (BlockHarness h = new BlockHarness(mem, loop, blk, ~Virtio.bit(Virtio.F_RING_EVENT_IDX))) {
            long aggregate = dev.ember.metrics.Metrics.group("block").counter("event_fails").get();
            assertEquals(S_OK, h.request(T_IN, 0, 512, true));
            h.d.sync();
            assertEquals(0, blk.metrics().counter("event_fails").get(), "the line works");
            h.d.irqFd.close();
            assertEquals(S_OK, h.request(T_IN, 1, 512, true));
            h.d.sync();
            assertEquals(1, blk.metrics().counter("event_fails").get());
            assertEquals(aggregate + 1, dev.ember.metrics.Metrics.group("block").counter("event_fails").get());
        }
    }

    /**
     * Firecracker's remaining_reqs_count (after each pop, the requests still in the ring) and
     * no_avail_buffer (a notified pass that returned nothing to the used ring; an Async pass only
     * submits, so it counts one, as in Firecracker).
     */
    @Test
    void backlogAndEmptyNotificationsAreCounted() throws IOException {
        Path img = image(SECTORS);
        VirtioBlock blk = block(uniqueId("backlog"), img, false, BlockCacheType.UNSAFE);
        try (BlockHarness h = new BlockHarness(mem, loop, blk, -1L)) {
            h.d.sync();
            // DRIVER_OK served the (empty) queue once, for buffers posted before it: one empty pass.
            long idle = blk.metrics().counter("no_avail_buffer").get();
            assertEquals(1, idle);
            for (int i = 0; i < 3; i++) {
                h.postNth(i, T_IN, i, 512, true);
            }
            h.d.kick(0);
            TestDriver.await(() -> h.ring.usedIdx() == 3, "three completions");
            h.d.sync();
            long submittedOnly = engine() == BlockIoEngine.ASYNC ? 1 : 0;
            assertEquals(2 + 1 + 0, blk.metrics().counter("remaining_reqs_count").get(), "2, 1, then 0 left after each pop");
            assertEquals(idle + submittedOnly, blk.metrics().counter("no_avail_buffer").get());
            for (int i = 0; i < 3; i++) {
                assertEquals(S_OK, mem.getByte(STATUS + i));
            }

            long events = blk.metrics().counter("queue_event_count").get();
            h.d.kick(0); // nothing new in the ring
            TestDriver.await(() -> blk.metrics().counter("queue_event_count").get() == events + 1, "the second notification");
            h.d.sync();
            assertEquals(idle + submittedOnly + 1, blk.metrics().counter("no_avail_buffer").get(), "an empty notification");
            assertEquals(3, blk.metrics().counter("remaining_reqs_count").get());
            assertEquals(3, h.ring.usedIdx());
        }
    }

    @Test
    void scatteredIndirectRequest() throws IOException {
        Path img = image(SECTORS);
        VirtioBlock blk = block(uniqueId("ind"), img, false, BlockCacheType.UNSAFE);
        try (BlockHarness h = new BlockHarness(mem, loop, blk, -1L)) {
            // Read sectors 3..5 into three separate 512-byte buffers through an indirect table.
            long table = 0x400000;
            mem.putInt(HDR, T_IN);
            mem.putLong(HDR + 8, 3);
            TestRing.setDescAt(mem, table, 0, HDR, 16, Virtio.DESC_F_NEXT, 1);
            TestRing.setDescAt(mem, table, 1, DATA + 0x2000, 512, Virtio.DESC_F_NEXT | Virtio.DESC_F_WRITE, 2);
            TestRing.setDescAt(mem, table, 2, DATA, 512, Virtio.DESC_F_NEXT | Virtio.DESC_F_WRITE, 3);
            TestRing.setDescAt(mem, table, 3, DATA + 0x1000, 512, Virtio.DESC_F_NEXT | Virtio.DESC_F_WRITE, 4);
            TestRing.setDescAt(mem, table, 4, STATUS, 1, Virtio.DESC_F_WRITE, 0);
            h.ring.setDesc(5, table, 80, Virtio.DESC_F_INDIRECT, 0);
            h.ring.publish(5);
            h.d.kick(0);
            TestDriver.await(() -> h.ring.usedIdx() == 1, "indirect request");
            assertEquals(5, h.ring.usedId(0));
            assertEquals(S_OK, mem.getByte(STATUS));
            assertEquals(4, mem.getByte(DATA + 0x2000 + 7));
            assertEquals(5, mem.getByte(DATA + 9));
            assertEquals(6, mem.getByte(DATA + 0x1000 + 511));
        }
    }

    @Test
    void outOfRangeAndUnalignedRequestsFailWithIoErr() throws IOException {
        VirtioBlock blk = block(uniqueId("range"), image(SECTORS), false, BlockCacheType.WRITEBACK);
        try (BlockHarness h = new BlockHarness(mem, loop, blk, -1L)) {
            assertEquals(S_IOERR, h.request(T_IN, SECTORS, 512, true));
            assertEquals(S_IOERR, h.request(T_IN, SECTORS - 1, 1024, true));
            assertEquals(S_IOERR, h.request(T_IN, -1L, 512, true));
            assertEquals(S_IOERR, h.request(T_OUT, 0, 100, false));
            assertEquals(S_OK, h.request(T_IN, SECTORS - 1, 512, true));
            assertEquals(S_UNSUPP, h.request(99, 0, 0, false));
            assertFalse(h.needsReset(), "bad requests are answered, not device errors");
        }
    }

    @Test
    void readOnlyDriveRefusesWrites() throws IOException {
        Path img = image(SECTORS);
        byte[] before = Files.readAllBytes(img);
        VirtioBlock blk = block(uniqueId("ro"), img, true, BlockCacheType.UNSAFE);
        try (BlockHarness h = new BlockHarness(mem, loop, blk, -1L)) {
            assertNotEquals(0, h.d.deviceFeatures() & Virtio.bit(F_RO));
            assertEquals(0, h.d.deviceFeatures() & Virtio.bit(F_DISCARD), "no discard on a read-only drive");
            mem.fill(DATA, 512, (byte) 0x55);
            assertEquals(S_IOERR, h.request(T_OUT, 0, 512, false));
            assertEquals(S_OK, h.request(T_IN, 2, 512, true));
            assertEquals(3, mem.getByte(DATA));
        }
        assertArrayEquals(before, Files.readAllBytes(img));
    }

    @Test
    void getIdReturnsDriveIdAsSerial() throws IOException {
        String id = uniqueId("rootfs");
        VirtioBlock blk = block(id, image(8), false, BlockCacheType.UNSAFE);
        try (BlockHarness h = new BlockHarness(mem, loop, blk, -1L)) {
            mem.fill(DATA, 20, (byte) 0x7f);
            assertEquals(S_OK, h.request(T_GET_ID, 0, 20, true));
            byte[] serial = new byte[20];
            mem.read(DATA, serial, 0, 20);
            byte[] expected = Arrays.copyOf(id.getBytes(StandardCharsets.US_ASCII), 20);
            assertArrayEquals(expected, serial);
            assertEquals(21, h.lastUsedLen());
        }
    }

    @Test
    void discardAndWriteZeroesClearTheFile() throws IOException {
        Path img = image(SECTORS);
        VirtioBlock blk = block(uniqueId("dz"), img, false, BlockCacheType.WRITEBACK);
        try (BlockHarness h = new BlockHarness(mem, loop, blk, -1L)) {
            mem.putLong(DATA, 16);      // sector
            mem.putInt(DATA + 8, 16);   // 16 sectors = 8 KiB
            mem.putInt(DATA + 12, 0);   // flags
            assertEquals(S_OK, h.request(T_WRITE_ZEROES, 0, 16, false));
            assertArrayEquals(new byte[8192], fileBytes(img, 16 * 512, 8192));
            assertEquals(16, fileBytes(img, 15 * 512, 1)[0], "neighbouring sector untouched");
            assertEquals(33, fileBytes(img, 32 * 512, 1)[0]);
            assertEquals(SECTORS * 512L, Files.size(img), "size kept");

            mem.putLong(DATA, 64);
            mem.putInt(DATA + 8, 8);
            mem.putInt(DATA + 12, 0);
            assertEquals(S_OK, h.request(T_DISCARD, 0, 16, false));
            mem.putInt(DATA + 12, 1); // UNMAP is not a discard flag
            assertEquals(S_UNSUPP, h.request(T_DISCARD, 0, 16, false));
            mem.putLong(DATA, SECTORS - 1);
            mem.putInt(DATA + 8, 2);
            mem.putInt(DATA + 12, 0);
            assertEquals(S_IOERR, h.request(T_WRITE_ZEROES, 0, 16, false));
        }
    }

    @Test
    void malformedRequestsRaiseDeviceErrorAndDeviceRecoversAfterReset() throws IOException {
        VirtioBlock blk = block(uniqueId("bad"), image(SECTORS), false, BlockCacheType.WRITEBACK);
        try (BlockHarness h = new BlockHarness(mem, loop, blk, -1L)) {
            // Header descriptor marked device-writable: no readable header at all.
            h.ring.setDesc(0, HDR, 16, Virtio.DESC_F_NEXT | Virtio.DESC_F_WRITE, 2);
            h.ring.setDesc(2, STATUS, 1, Virtio.DESC_F_WRITE, 0);
            h.ring.publish(0);
            h.d.ackInterrupts();
            h.d.kick(0);
            TestDriver.await(h::needsReset, "DEVICE_NEEDS_RESET");
            assertEquals(Virtio.INT_CONFIG, h.d.r(VirtioMmioDevice.REG_INTERRUPT_STATUS) & Virtio.INT_CONFIG);
            assertEquals(1, blk.metrics().deviceErrors.get());
            assertEquals(1, blk.metrics().errors(VirtqueueException.Reason.REQUEST_LAYOUT).get(), "counted by reason");
            assertEquals(1, blk.metrics().group().counter("device_errors_request_layout").get(), "under its metric name");
            assertEquals(0, blk.metrics().errors(VirtqueueException.Reason.BUFFER_ADDRESS).get());
            // Further kicks are ignored while broken; the VMM thread is alive and answers.
            h.d.kick(0);
            h.d.sync();
            assertEquals(0, h.ring.usedIdx());

            // Driver resets and re-initialises: the device serves requests again.
            h.d.negotiate(-1L);
            TestRing ring = new TestRing(mem, 16, 0x30000);
            h.d.setupQueue(0, ring);
            h.d.driverOk();
            assertFalse(h.needsReset());
            mem.putInt(HDR, T_IN);
            mem.putLong(HDR + 8, 1);
            ring.setDesc(0, HDR, 16, Virtio.DESC_F_NEXT, 1);
            ring.setDesc(1, DATA, 512, Virtio.DESC_F_NEXT | Virtio.DESC_F_WRITE, 2);
            ring.setDesc(2, STATUS, 1, Virtio.DESC_F_WRITE, 0);
            ring.publish(0);
            h.d.kick(0);
            TestDriver.await(() -> ring.usedIdx() == 1, "request after reset");
            assertEquals(S_OK, mem.getByte(STATUS));
            assertEquals(2, mem.getByte(DATA));
        }
    }

    @Test
    void wrongDirectionDataIsADeviceError() throws IOException {
        VirtioBlock blk = block(uniqueId("dir"), image(SECTORS), false, BlockCacheType.WRITEBACK);
        try (BlockHarness h = new BlockHarness(mem, loop, blk, -1L)) {
            h.post(T_IN, 0, 512, false); // read whose data buffer the device may not write
            h.d.kick(0);
            TestDriver.await(h::needsReset, "DEVICE_NEEDS_RESET");
            assertEquals(0, h.ring.usedIdx());
        }
    }

    @Test
    void cyclicChainIsADeviceError() throws IOException {
        VirtioBlock blk = block(uniqueId("cyc"), image(SECTORS), false, BlockCacheType.WRITEBACK);
        try (BlockHarness h = new BlockHarness(mem, loop, blk, -1L)) {
            h.ring.setDesc(0, HDR, 16, Virtio.DESC_F_NEXT, 1);
            h.ring.setDesc(1, DATA, 512, Virtio.DESC_F_NEXT, 0);
            h.ring.publish(0);
            h.d.kick(0);
            TestDriver.await(h::needsReset, "DEVICE_NEEDS_RESET");
            h.d.sync();
        }
    }

    @Test
    void availIndexFarAheadIsADeviceError() throws IOException {
        VirtioBlock blk = block(uniqueId("far"), image(SECTORS), false, BlockCacheType.WRITEBACK);
        try (BlockHarness h = new BlockHarness(mem, loop, blk, -1L)) {
            h.ring.setAvailIdx(1000);
            h.d.kick(0);
            TestDriver.await(h::needsReset, "DEVICE_NEEDS_RESET");
        }
    }

    @Test
    void eventIdxSuppressesInterruptsUntilUsedEvent() throws IOException {
        VirtioBlock blk = block(uniqueId("evt"), image(SECTORS), false, BlockCacheType.WRITEBACK);
        try (BlockHarness h = new BlockHarness(mem, loop, blk, -1L)) {
            h.d.interrupts();
            h.ring.setUsedEvent(5); // only want an interrupt after the 6th completion
            h.request(T_IN, 0, 512, true);
            h.d.sync();
            assertEquals(0, h.d.interrupts());
            assertEquals(1, h.ring.availEvent(), "device asks for a kick at the next entry");
        }
    }

    @Test
    void updatePathSwapsFileAndSignalsConfigChange() throws IOException {
        VirtioBlock blk = block(uniqueId("upd"), image(SECTORS), false, BlockCacheType.WRITEBACK);
        try (BlockHarness h = new BlockHarness(mem, loop, blk, -1L)) {
            int gen = h.d.r(VirtioMmioDevice.REG_CONFIG_GENERATION);
            h.d.ackInterrupts();
            Path bigger = image(1024);
            blk.updatePath(bigger);
            TestDriver.await(() -> (h.d.r(VirtioMmioDevice.REG_INTERRUPT_STATUS) & Virtio.INT_CONFIG) != 0,
                    "configuration-change interrupt");
            assertNotEquals(gen, h.d.r(VirtioMmioDevice.REG_CONFIG_GENERATION));
            assertEquals(1024, h.d.bus.read(h.d.base + VirtioMmioDevice.REG_CONFIG, 8));
            assertEquals(S_OK, h.request(T_IN, 1000, 512, true));
            assertEquals((byte) 1001, mem.getByte(DATA));

            BlockDeviceException e = assertThrows(BlockDeviceException.class, () -> blk.updatePath(dir.resolve("missing.img")));
            assertEquals(BlockDeviceException.Reason.OPEN, e.reason());
            assertEquals(dev.ember.sys.LibC.ENOENT, e.errno());
            assertTrue(e.getMessage().contains("path_on_host"), e.getMessage()); // the API's fault message
            assertEquals(1, blk.metrics().counter("update_fails").get());
        }
    }

    @Test
    void capacityIsNeverSeenHalfUpdated() throws Exception {
        // 0x00FFFFFF and 0x01000000 sectors differ in all four low bytes: a torn read shows a third value.
        Path small = sparse(0x00FF_FFFFL), big = sparse(0x0100_0000L);
        VirtioBlock blk = block(uniqueId("tear"), small, true, BlockCacheType.UNSAFE);
        try {
            java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicLong torn = new java.util.concurrent.atomic.AtomicLong(-1);
            Thread vcpu = new Thread(() -> {
                while (!done.get()) {
                    long v = blk.readConfig(CFG_CAPACITY, 4);
                    if (v != 0x00FF_FFFFL && v != 0x0100_0000L) {
                        torn.set(v);
                    }
                }
            }, "test-vcpu");
            vcpu.start();
            for (int i = 0; i < 2000; i++) {
                blk.updatePath(i % 2 == 0 ? big : small); // not attached: swaps on this thread
            }
            done.set(true);
            vcpu.join();
            assertEquals(-1, torn.get(), "a vCPU read a capacity that was neither the old nor the new one");
            assertEquals(0x00FF_FFFFL, blk.readConfig(CFG_CAPACITY, 8));
        } finally {
            blk.close();
        }
    }

    private Path sparse(long sectors) throws IOException {
        Path p = Files.createTempFile(dir, "sparse", ".img");
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(sectors * 512);
        }
        return p;
    }

    @Test
    void missingFileIsAClearError() {
        BlockDeviceException e = assertThrows(BlockDeviceException.class,
                () -> block("rootfs", dir.resolve("nope.img"), false, BlockCacheType.UNSAFE));
        assertEquals(BlockDeviceException.Reason.OPEN, e.reason());
        // The message is the product here: the API and the CLI show it as is.
        assertTrue(e.getMessage().contains("drive 'rootfs'") && e.getMessage().contains("No such file"), e.getMessage());
    }
}
