package dev.ember.devices.virtio;

import static org.junit.jupiter.api.Assertions.*;

import dev.ember.devices.virtio.mem.HotplugRam;
import dev.ember.devices.virtio.mem.VirtioMem;
import dev.ember.devices.virtio.mem.VirtioMemException;
import dev.ember.eventloop.EventLoop;
import dev.ember.memory.GuestMemory;
import dev.ember.memory.GuestMemoryException;
import dev.ember.memory.GuestRegion;
import dev.ember.metrics.Metrics;
import dev.ember.snapshot.StateReader;
import dev.ember.snapshot.StateWriter;
import dev.ember.sys.Native;
import dev.ember.sys.NativeMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * virtio-mem on real guest memory behind a real transport: 16 MiB of RAM holding the queue, and
 * an 8 MiB hotpluggable range at 4 GiB (blocks of 2 MiB, slots of 4 MiB) in its own host mapping,
 * attached to the guest memory so device accesses to it are checked against the plugged blocks.
 * Requests are built in guest RAM the way Linux's driver builds them (a 24-byte
 * {@code virtio_mem_req}, a 10-byte {@code virtio_mem_resp}); the slots are recorded.
 */
@ExtendWith(GuestMemoryAndLoop.class)
class VirtioMemTest {
    static EventLoop loop;
    static final long MIB = 1 << 20;
    static final long ADDR = 0x1_0000_0000L;
    static final long REQ = 0x400000;
    static final long RESP = 0x401000;

    /** A device with its queue (16 entries at 0x10000) set up and DRIVER_OK, on a guest memory of its own. */
    static final class Mem implements AutoCloseable {
        final GuestMemory mem = GuestMemory.create(16 * MIB);
        final HotplugRam ram = HotplugRam.reserve(8 * MIB);
        final boolean[] mapped = new boolean[2];
        final VirtioMem dev;
        final TestDriver d;
        final TestRing ring;

        Mem(long featureMask) {
            this(featureMask, true);
        }

        /** Without {@code ready}, a transport as a snapshot load finds it: fresh, nothing negotiated. */
        Mem(long featureMask, boolean ready) {
            dev = new VirtioMem(ADDR, ram, 2 * MIB, 4 * MIB, new VirtioMem.Slots() {
                @Override public void map(int i) { mapped[i] = true; }
                @Override public void unmap(int i) { mapped[i] = false; }
            });
            mem.attachHotplug(new GuestRegion(ADDR, 8 * MIB, ram.hostAddress()), dev::plugged);
            ring = new TestRing(mem, 16, 0x10000);
            d = new TestDriver(mem, loop, dev);
            if (ready) {
                d.negotiate(featureMask);
                d.setupQueue(0, ring);
                d.driverOk();
                d.sync();
            }
        }

        Mem() {
            this(-1L);
        }

        long cfg(int offset) {
            return d.bus.read(d.base + VirtioMmioDevice.REG_CONFIG + offset, 8);
        }

        boolean needsReset() {
            return (d.r(VirtioMmioDevice.REG_STATUS) & Virtio.STATUS_DEVICE_NEEDS_RESET) != 0;
        }

        /** Sends one request ({@code reqLen} readable bytes, {@code respLen} writable) and returns the used length. */
        long send(int type, long addr, int nbBlocks, int reqLen, int respLen) {
            mem.fill(REQ, 24, (byte) 0);
            mem.putShort(REQ, (short) type);
            mem.putLong(REQ + 8, addr);
            mem.putShort(REQ + 16, (short) nbBlocks);
            mem.fill(RESP, 16, (byte) 0x5a);
            int before = ring.usedIdx();
            if (respLen > 0) {
                ring.setDesc(0, REQ, reqLen, Virtio.DESC_F_NEXT, 1);
                ring.setDesc(1, RESP, respLen, Virtio.DESC_F_WRITE, 0);
            } else {
                ring.setDesc(0, REQ, reqLen, 0, 0);
            }
            ring.publish(0);
            d.kick(0);
            TestDriver.await(() -> ring.usedIdx() == ((before + 1) & 0xFFFF) || needsReset(), "the request to complete");
            assertFalse(needsReset(), "a bad request never breaks the device");
            return ring.usedLen(before);
        }

        /** A well-formed request; returns the response type. */
        int request(int type, long addr, int nbBlocks) {
            assertEquals(VirtioMem.RESPONSE_BYTES, send(type, addr, nbBlocks, VirtioMem.REQUEST_BYTES, VirtioMem.RESPONSE_BYTES));
            assertEquals(0, mem.getShort(RESP + 2) | mem.getInt(RESP + 4), "the response's padding is zero");
            return mem.getShort(RESP);
        }

        int state(long addr, int nbBlocks) {
            assertEquals(VirtioMem.RESP_ACK, request(VirtioMem.REQ_STATE, addr, nbBlocks));
            return mem.getShort(RESP + VirtioMem.RESP_STATE);
        }

        void request(long mib) {
            dev.setRequestedSize(mib * MIB);
            d.sync();
        }

        @Override
        public void close() {
            d.close(); // closes the device, which unmaps the range
            mem.close();
        }
    }

    static long counter(String name) {
        return Metrics.group("memory_hotplug").counter(name).get();
    }

    @Test
    void configSpaceDescribesTheRegionAndIsReadOnly() {
        try (Mem m = new Mem()) {
            assertEquals(VirtioMem.DEVICE_ID, m.d.r(VirtioMmioDevice.REG_DEVICE_ID));
            assertNotEquals(0, m.d.deviceFeatures() & Virtio.bit(VirtioMem.F_UNPLUGGED_INACCESSIBLE));
            assertEquals(0, m.d.deviceFeatures() & Virtio.bit(VirtioMem.F_ACPI_PXM), "no NUMA node to name");
            assertEquals(2 * MIB, m.cfg(VirtioMem.CFG_BLOCK_SIZE));
            assertEquals(ADDR, m.cfg(VirtioMem.CFG_ADDR));
            assertEquals(8 * MIB, m.cfg(VirtioMem.CFG_REGION_SIZE));
            assertEquals(0, m.cfg(VirtioMem.CFG_USABLE_REGION_SIZE), "nothing usable before the host asks");
            assertEquals(0, m.cfg(VirtioMem.CFG_PLUGGED_SIZE));
            assertEquals(0, m.cfg(VirtioMem.CFG_REQUESTED_SIZE));
            long cfgFails = counter("cfg_fails");
            m.d.bus.write(m.d.base + VirtioMmioDevice.REG_CONFIG + VirtioMem.CFG_REQUESTED_SIZE, 4, 0x1000);
            assertEquals(0, m.cfg(VirtioMem.CFG_REQUESTED_SIZE), "the driver cannot write the config space");
            assertEquals(1, counter("cfg_fails") - cfgFails);
        }
    }

    @Test
    void aDriverWithoutUnpluggedInaccessibleIsRefusedAndTheHostCannotRequestMemory() {
        long activateFails = counter("activate_fails");
        try (Mem m = new Mem(~Virtio.bit(VirtioMem.F_UNPLUGGED_INACCESSIBLE))) {
            TestDriver.await(m::needsReset, "the activation to fail");
            assertFalse(m.dev.activated());
            assertEquals(1, counter("activate_fails") - activateFails);
            VirtioMemException e = assertThrows(VirtioMemException.class, () -> m.dev.setRequestedSize(2 * MIB));
            assertEquals(VirtioMemException.Reason.NOT_ACTIVE, e.reason());
            assertEquals("Device is not active", e.getMessage()); // Firecracker's text, the API's fault
        }
    }

    @Test
    void theHostsRequestGrowsTheUsableRegionInWholeSlotsWithAConfigInterrupt() {
        try (Mem m = new Mem()) {
            m.d.interrupts();
            m.d.ackInterrupts();
            long generation = m.d.r(VirtioMmioDevice.REG_CONFIG_GENERATION);
            m.request(2);
            assertEquals(2 * MIB, m.cfg(VirtioMem.CFG_REQUESTED_SIZE));
            assertEquals(4 * MIB, m.cfg(VirtioMem.CFG_USABLE_REGION_SIZE), "rounded up to the 4 MiB slot");
            assertEquals(Virtio.INT_CONFIG, m.d.ackInterrupts() & Virtio.INT_CONFIG, "the driver is told");
            assertNotEquals(generation, m.d.r(VirtioMmioDevice.REG_CONFIG_GENERATION));
            m.request(0);
            assertEquals(4 * MIB, m.cfg(VirtioMem.CFG_USABLE_REGION_SIZE), "the usable region never shrinks on a request");
            assertEquals(0, m.cfg(VirtioMem.CFG_REQUESTED_SIZE));
            VirtioMemException odd = assertThrows(VirtioMemException.class, () -> m.dev.setRequestedSize(3 * MIB));
            assertEquals("Size 3145728 is invalid: it must be a multiple of block size and less than the total size", odd.getMessage());
            assertEquals(VirtioMemException.Reason.INVALID_SIZE,
                    assertThrows(VirtioMemException.class, () -> m.dev.setRequestedSize(10 * MIB)).reason());
            assertEquals(0, m.dev.requestedSize(), "a refused size changes nothing");
        }
    }

    @Test
    void plugMapsTheSlotAndUnplugGivesTheBlockBackAndUnmapsAnEmptySlot() {
        try (Mem m = new Mem()) {
            m.request(6);
            long plugBytes = counter("plug_bytes");
            assertEquals(VirtioMem.RESP_ACK, m.request(VirtioMem.REQ_PLUG, ADDR, 2));
            assertEquals(4 * MIB, m.cfg(VirtioMem.CFG_PLUGGED_SIZE));
            assertEquals(4 * MIB, m.dev.pluggedSize());
            assertEquals(4 * MIB, counter("plug_bytes") - plugBytes);
            assertTrue(m.mapped[0], "slot 0 is in the guest's memory");
            assertFalse(m.mapped[1]);
            assertEquals(VirtioMem.STATE_PLUGGED, m.state(ADDR, 2));
            assertEquals(VirtioMem.STATE_UNPLUGGED, m.state(ADDR + 4 * MIB, 2));
            assertEquals(VirtioMem.STATE_MIXED, m.state(ADDR + 2 * MIB, 2));

            // Plugged memory is guest memory: devices reach it, the bytes are the host mapping's.
            m.mem.putLong(ADDR + 2 * MIB + 8, 0x1122334455667788L);
            assertEquals(0x1122334455667788L, NativeMemory.view(m.ram.hostAddress(), 8 * MIB)
                    .getLong(2 * MIB + 8));
            assertThrows(GuestMemoryException.class, () -> m.mem.getLong(ADDR + 4 * MIB), "unplugged memory is out of reach");
            assertThrows(GuestMemoryException.class, () -> m.mem.getLong(ADDR + 4 * MIB - 4), "so is an access straddling into it");

            long unplugBytes = counter("unplug_bytes");
            assertEquals(VirtioMem.RESP_ACK, m.request(VirtioMem.REQ_UNPLUG, ADDR + 2 * MIB, 1));
            assertEquals(2 * MIB, m.cfg(VirtioMem.CFG_PLUGGED_SIZE));
            assertEquals(2 * MIB, counter("unplug_bytes") - unplugBytes);
            assertTrue(m.mapped[0], "the slot still holds a plugged block");
            assertEquals(VirtioMem.RESP_ACK, m.request(VirtioMem.REQ_PLUG, ADDR + 2 * MIB, 1));
            assertEquals(0, m.mem.getLong(ADDR + 2 * MIB + 8), "the unplugged block's pages went back to the host: zeroes");
            assertEquals(VirtioMem.RESP_ACK, m.request(VirtioMem.REQ_UNPLUG, ADDR, 2));
            assertFalse(m.mapped[0], "an empty slot leaves the guest's memory");
            assertEquals(0, m.dev.pluggedSize());
        }
    }

    @Test
    void plugBeyondTheRequestedSizeIsNackedAndBadRangesAreErrors() {
        try (Mem m = new Mem()) {
            m.request(2);
            long plugFails = counter("plug_fails");
            assertEquals(VirtioMem.RESP_NACK, m.request(VirtioMem.REQ_PLUG, ADDR, 2), "4 MiB when 2 MiB were requested");
            assertEquals(VirtioMem.RESP_ERROR, m.request(VirtioMem.REQ_PLUG, ADDR + 4 * MIB, 1), "outside the usable 4 MiB");
            assertEquals(VirtioMem.RESP_ERROR, m.request(VirtioMem.REQ_PLUG, ADDR + 4096, 1), "not block aligned");
            assertEquals(VirtioMem.RESP_ERROR, m.request(VirtioMem.REQ_PLUG, ADDR, 0), "no blocks");
            assertEquals(VirtioMem.RESP_ERROR, m.request(VirtioMem.REQ_PLUG, ADDR - 2 * MIB, 1), "below the region");
            assertEquals(VirtioMem.RESP_ERROR, m.request(VirtioMem.REQ_PLUG, -2 * MIB, 0xFFFF), "an address that wraps");
            assertEquals(6, counter("plug_fails") - plugFails);
            assertEquals(VirtioMem.RESP_ACK, m.request(VirtioMem.REQ_PLUG, ADDR, 1));
            m.request(6);
            assertEquals(VirtioMem.RESP_ERROR, m.request(VirtioMem.REQ_PLUG, ADDR, 2), "half of it is plugged already");
            long unplugFails = counter("unplug_fails");
            assertEquals(VirtioMem.RESP_ERROR, m.request(VirtioMem.REQ_UNPLUG, ADDR, 2), "half of it is not plugged");
            assertEquals(VirtioMem.RESP_ERROR, m.request(VirtioMem.REQ_UNPLUG, ADDR + 2 * MIB, 1), "not plugged");
            assertEquals(2, counter("unplug_fails") - unplugFails);
            long stateFails = counter("state_fails");
            assertEquals(VirtioMem.RESP_ERROR, m.request(VirtioMem.REQ_STATE, ADDR + 8 * MIB, 1), "past the region");
            assertEquals(1, counter("state_fails") - stateFails);
            assertEquals(2 * MIB, m.dev.pluggedSize(), "the refused requests changed nothing");
            assertTrue(m.mapped[0]);
        }
    }

    @Test
    void malformedRequestsAreAnsweredOrSkippedAndCountedAndTheDeviceGoesOn() {
        try (Mem m = new Mem()) {
            m.request(2);
            long queueFails = counter("queue_event_fails");
            assertEquals(VirtioMem.RESP_ERROR, m.request(7, ADDR, 1), "an unknown request type");
            assertEquals(VirtioMem.RESPONSE_BYTES, m.send(VirtioMem.REQ_PLUG, ADDR, 1, 8, VirtioMem.RESPONSE_BYTES), "a PLUG without its range");
            assertEquals(VirtioMem.RESP_ERROR, m.mem.getShort(RESP));
            assertEquals(VirtioMem.RESPONSE_BYTES, m.send(VirtioMem.REQ_PLUG, ADDR, 1, 4, VirtioMem.RESPONSE_BYTES), "a header cut short");
            assertEquals(VirtioMem.RESP_ERROR, m.mem.getShort(RESP));
            assertEquals(0, m.send(VirtioMem.REQ_PLUG, ADDR, 1, VirtioMem.REQUEST_BYTES, 4), "no room for the response");
            assertEquals(0x5a5a, m.mem.getShort(RESP) & 0xFFFF, "nothing was written");
            assertEquals(0, m.send(VirtioMem.REQ_PLUG, ADDR, 1, VirtioMem.REQUEST_BYTES, 0), "no writable part at all");
            assertEquals(5, counter("queue_event_fails") - queueFails);
            assertEquals(0, m.dev.pluggedSize(), "none of them plugged anything");
            assertEquals(VirtioMem.RESP_ACK, m.request(VirtioMem.REQ_PLUG, ADDR, 1), "a good request after them is served");
        }
    }

    @Test
    void unplugAllEmptiesTheRegionAndShrinksTheUsableRegionToTheRequest() {
        try (Mem m = new Mem()) {
            m.request(8);
            assertEquals(8 * MIB, m.cfg(VirtioMem.CFG_USABLE_REGION_SIZE));
            assertEquals(VirtioMem.RESP_ACK, m.request(VirtioMem.REQ_PLUG, ADDR, 1));
            assertEquals(VirtioMem.RESP_ACK, m.request(VirtioMem.REQ_PLUG, ADDR + 6 * MIB, 1));
            assertTrue(m.mapped[0] && m.mapped[1]);
            m.request(2);
            long count = counter("unplug_all_count");
            assertEquals(VirtioMem.RESP_ACK, m.request(VirtioMem.REQ_UNPLUG_ALL, 0, 0));
            assertEquals(1, counter("unplug_all_count") - count);
            assertEquals(0, m.cfg(VirtioMem.CFG_PLUGGED_SIZE));
            assertEquals(4 * MIB, m.cfg(VirtioMem.CFG_USABLE_REGION_SIZE), "what 2 MiB needs, in slots");
            assertFalse(m.mapped[0] || m.mapped[1]);
            assertEquals(VirtioMem.RESP_ERROR, m.request(VirtioMem.REQ_PLUG, ADDR + 6 * MIB, 1), "beyond the usable region now");
        }
    }

    @Test
    void theQueueMayLiveInPluggedMemory() {
        try (Mem m = new Mem()) {
            m.request(2);
            assertEquals(VirtioMem.RESP_ACK, m.request(VirtioMem.REQ_PLUG, ADDR, 1));
            // A second ring, in hotplugged memory: requests and answers there too.
            TestRing ring = new TestRing(m.mem, 16, ADDR + 0x10000);
            m.d.negotiate(-1L);
            m.d.setupQueue(0, ring);
            m.d.driverOk();
            m.d.sync();
            m.mem.putShort(ADDR + 0x20000, (short) VirtioMem.REQ_STATE);
            m.mem.putLong(ADDR + 0x20008, ADDR);
            m.mem.putShort(ADDR + 0x20010, (short) 1);
            ring.setDesc(0, ADDR + 0x20000, VirtioMem.REQUEST_BYTES, Virtio.DESC_F_NEXT, 1);
            ring.setDesc(1, ADDR + 0x21000, VirtioMem.RESPONSE_BYTES, Virtio.DESC_F_WRITE, 0);
            ring.publish(0);
            m.d.kick(0);
            TestDriver.await(() -> ring.usedIdx() == 1 || m.needsReset(), "the request in hotplugged memory");
            assertFalse(m.needsReset());
            assertEquals(VirtioMem.RESP_ACK, m.mem.getShort(ADDR + 0x21000));
            assertEquals(VirtioMem.STATE_PLUGGED, m.mem.getShort(ADDR + 0x21008));
        }
    }

    @Test
    void theSnapshotCarriesThePluggedBlocksAndSizesAndMapsTheirSlots() {
        byte[] transport;
        try (Mem m = new Mem()) {
            m.request(8);
            assertEquals(VirtioMem.RESP_ACK, m.request(VirtioMem.REQ_PLUG, ADDR + 6 * MIB, 1));
            m.request(6);
            transport = m.d.saveState();
        }
        try (Mem m = new Mem(-1L, false)) {
            m.d.restoreState(transport);
            assertEquals(2 * MIB, m.dev.pluggedSize());
            assertEquals(6 * MIB, m.dev.requestedSize());
            assertEquals(2 * MIB, m.cfg(VirtioMem.CFG_PLUGGED_SIZE));
            assertEquals(6 * MIB, m.cfg(VirtioMem.CFG_REQUESTED_SIZE));
            assertEquals(8 * MIB, m.cfg(VirtioMem.CFG_USABLE_REGION_SIZE));
            assertFalse(m.mapped[0]);
            assertTrue(m.mapped[1], "the plugged block's slot is back in the guest's memory");
            assertTrue(m.dev.plugged(6 * MIB, 2 * MIB), "the block is plugged: devices may reach it");
            assertFalse(m.dev.plugged(4 * MIB, 2 * MIB));
            assertEquals(0, m.mem.getLong(ADDR + 6 * MIB), "and guest memory reaches it");
            assertTrue(m.dev.activated(), "the restored driver carries on");
        }
    }

    @Test
    void aSnapshotOfAnotherRegionIsRefused() {
        StateWriter w = new StateWriter();
        w.i64(ADDR).i64(16 * MIB).i64(2 * MIB).i64(4 * MIB).i64(0).i64(0).longs(new long[1]);
        try (Mem m = new Mem()) {
            StateReader in = new StateReader("virtio0", w.toByteArray());
            CompletableCall call = new CompletableCall();
            loop.execute(() -> call.run(() -> m.dev.restoreDeviceState(in)));
            RuntimeException e = call.await();
            assertNotNull(e);
            assertTrue(e.getMessage().contains("16 MiB") && e.getMessage().contains("8 MiB"), e.getMessage());
        }
    }

    /** Runs a call on the event loop and hands back what it threw. */
    static final class CompletableCall {
        private final java.util.concurrent.CompletableFuture<RuntimeException> done = new java.util.concurrent.CompletableFuture<>();

        void run(Runnable r) {
            try {
                r.run();
                done.complete(null);
            } catch (RuntimeException e) {
                done.complete(e);
            }
        }

        RuntimeException await() {
            try {
                return done.get(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
    }
}
