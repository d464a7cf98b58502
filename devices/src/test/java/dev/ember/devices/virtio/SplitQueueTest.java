package dev.ember.devices.virtio;

import static org.junit.jupiter.api.Assertions.*;

import dev.ember.devices.virtio.VirtqueueException.Reason;
import dev.ember.memory.GuestMemory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The descriptor walker and ring bookkeeping against real guest memory, hostile layouts included. */
class SplitQueueTest {
    static final int SIZE = 8;
    static final long RING = 0x10000;
    static final long BUF = 0x100000;
    static final long MEM = 16 << 20;
    static GuestMemory mem;
    TestRing ring;
    SplitQueue q;
    DescriptorChain chain = new DescriptorChain(Virtio.MAX_QUEUE_SIZE);

    @BeforeAll
    static void map() {
        mem = GuestMemory.create(MEM);
    }

    @AfterAll
    static void unmap() {
        mem.close();
    }

    @BeforeEach
    void layout() {
        ring = new TestRing(mem, SIZE, RING);
        q = new SplitQueue(0, mem);
        SplitQueue.validate(mem, 0, SIZE, 256, ring.desc, ring.avail, ring.used);
        q.activate(SIZE, ring.desc, ring.avail, ring.used, false, true);
    }

    @Test
    void emptyRingPopsNothing() {
        assertFalse(q.pop(chain));
        assertEquals(0, q.pending());
    }

    @Test
    void walksReadableThenWritableChain() {
        ring.setDesc(0, BUF, 16, Virtio.DESC_F_NEXT, 3);
        ring.setDesc(3, BUF + 0x1000, 512, Virtio.DESC_F_NEXT | Virtio.DESC_F_WRITE, 5);
        ring.setDesc(5, BUF + 0x2000, 1, Virtio.DESC_F_WRITE, 0);
        ring.publish(0);
        assertTrue(q.pop(chain));
        assertEquals(0, chain.head());
        assertEquals(3, chain.count());
        assertEquals(1, chain.readableCount());
        assertEquals(16, chain.readableBytes());
        assertEquals(513, chain.writableBytes());
        assertEquals(BUF + 0x1000, chain.address(1));
        assertTrue(chain.writable(2));
        assertFalse(q.pop(chain));
        q.addUsed(0, 513);
        assertEquals(1, ring.usedIdx());
        assertEquals(0, ring.usedId(0));
        assertEquals(513, ring.usedLen(0));
    }

    @Test
    void readsAndWritesAcrossDescriptorBoundaries() {
        mem.putLong(BUF, 0x1122334455667788L);
        ring.setDesc(0, BUF, 3, Virtio.DESC_F_NEXT, 1);
        ring.setDesc(1, BUF + 3, 13, Virtio.DESC_F_NEXT, 2);
        ring.setDesc(2, BUF + 0x100, 2, Virtio.DESC_F_WRITE | Virtio.DESC_F_NEXT, 4);
        ring.setDesc(4, BUF + 0x200, 2, Virtio.DESC_F_WRITE, 0);
        ring.publish(0);
        assertTrue(q.pop(chain));
        assertEquals(0x1122334455667788L, chain.readReadable(0, 8));
        chain.writeWritable(1, 2, 0xBEEF);
        assertEquals((byte) 0xEF, mem.getByte(BUF + 0x101));
        assertEquals((byte) 0xBE, mem.getByte(BUF + 0x200));
        IoVecArray iov = new IoVecArray(4);
        assertEquals(2, chain.toIovecs(true, 1, 2, iov, 0));
        assertEquals(mem.hostAddress(BUF + 0x101, 1), iov.base(0));
        assertEquals(1, iov.length(0));
        assertEquals(mem.hostAddress(BUF + 0x200, 1), iov.base(1));
    }

    @Test
    void resolvesIndirectTable() {
        long table = BUF + 0x8000;
        TestRing.setDescAt(mem, table, 0, BUF, 16, Virtio.DESC_F_NEXT, 1);
        TestRing.setDescAt(mem, table, 1, BUF + 0x1000, 4096, Virtio.DESC_F_NEXT | Virtio.DESC_F_WRITE, 2);
        TestRing.setDescAt(mem, table, 2, BUF + 0x3000, 1, Virtio.DESC_F_WRITE, 0);
        ring.setDesc(2, table, 48, Virtio.DESC_F_INDIRECT, 0);
        ring.publish(2);
        assertTrue(q.pop(chain));
        assertEquals(2, chain.head());
        assertEquals(3, chain.count());
        assertEquals(4097, chain.writableBytes());
    }

    private void assertMalformed(Reason reason) {
        VirtqueueException e = assertThrows(VirtqueueException.class, () -> q.pop(chain));
        assertEquals(reason, e.reason(), e.getMessage());
    }

    @Test
    void cyclicChainIsBoundedByQueueSize() {
        ring.setDesc(0, BUF, 16, Virtio.DESC_F_NEXT, 1);
        ring.setDesc(1, BUF, 16, Virtio.DESC_F_NEXT, 0);
        ring.publish(0);
        assertMalformed(Reason.CHAIN_TOO_LONG);
    }

    @Test
    void selfLoopInIndirectTableIsBounded() {
        long table = BUF + 0x8000;
        TestRing.setDescAt(mem, table, 0, BUF, 16, Virtio.DESC_F_NEXT, 0);
        ring.setDesc(0, table, 16, Virtio.DESC_F_INDIRECT, 0);
        ring.publish(0);
        assertMalformed(Reason.CHAIN_TOO_LONG);
    }

    @Test
    void nextIndexOutsideTable() {
        ring.setDesc(0, BUF, 16, Virtio.DESC_F_NEXT, SIZE + 3);
        ring.publish(0);
        assertMalformed(Reason.DESCRIPTOR_INDEX);
    }

    @Test
    void headIndexOutsideTable() {
        ring.publish(200);
        assertMalformed(Reason.DESCRIPTOR_INDEX);
    }

    @Test
    void bufferOutsideGuestMemory() {
        ring.setDesc(0, MEM - 8, 16, 0, 0);
        ring.publish(0);
        assertMalformed(Reason.BUFFER_ADDRESS);
    }

    @Test
    void hugeLengthWrapsNothing() {
        ring.setDesc(0, BUF, 0xFFFF_FFFFL, Virtio.DESC_F_WRITE, 0);
        ring.publish(0);
        assertMalformed(Reason.BUFFER_ADDRESS);
    }

    @Test
    void addressInMmioGapOrBeyondRam() {
        ring.setDesc(0, 0xD000_0000L, 16, 0, 0);
        ring.publish(0);
        assertMalformed(Reason.BUFFER_ADDRESS);
    }

    @Test
    void zeroLengthDescriptorIsAccepted() {
        ring.setDesc(0, 0, 0, 0, 0);
        ring.publish(0);
        assertTrue(q.pop(chain));
        assertEquals(1, chain.count());
        assertEquals(0, chain.readableBytes());
    }

    @Test
    void readableAfterWritableIsRejected() {
        ring.setDesc(0, BUF, 16, Virtio.DESC_F_NEXT | Virtio.DESC_F_WRITE, 1);
        ring.setDesc(1, BUF, 16, 0, 0);
        ring.publish(0);
        assertMalformed(Reason.READABLE_AFTER_WRITABLE);
    }

    @Test
    void nestedIndirectIsRejected() {
        long table = BUF + 0x8000;
        TestRing.setDescAt(mem, table, 0, table, 16, Virtio.DESC_F_INDIRECT, 0);
        ring.setDesc(0, table, 16, Virtio.DESC_F_INDIRECT, 0);
        ring.publish(0);
        assertMalformed(Reason.NESTED_INDIRECT);
    }

    @Test
    void indirectWithNextIsRejected() {
        ring.setDesc(0, BUF + 0x8000, 32, Virtio.DESC_F_INDIRECT | Virtio.DESC_F_NEXT, 1);
        ring.publish(0);
        assertMalformed(Reason.INDIRECT_WITH_NEXT);
    }

    @Test
    void indirectTableLengthMustBeMultipleOf16() {
        ring.setDesc(0, BUF + 0x8000, 20, Virtio.DESC_F_INDIRECT, 0);
        ring.publish(0);
        assertMalformed(Reason.INDIRECT_TABLE_LENGTH);
    }

    @Test
    void indirectWithoutNegotiationIsRejected() {
        q.activate(SIZE, ring.desc, ring.avail, ring.used, false, false);
        ring.setDesc(0, BUF + 0x8000, 32, Virtio.DESC_F_INDIRECT, 0);
        ring.publish(0);
        assertMalformed(Reason.INDIRECT_NOT_NEGOTIATED);
    }

    @Test
    void availIndexFarAheadIsRejected() {
        ring.setAvailIdx(SIZE + 1);
        assertMalformed(Reason.AVAIL_INDEX_AHEAD);
    }

    @Test
    void availIndexWrapsAround16Bits() {
        // Walk the indexes up to the 16-bit wrap with real pops.
        ring.setDesc(0, BUF, 16, 0, 0);
        for (int i = 0; i < 70_000; i++) {
            ring.publish(0);
            assertTrue(q.pop(chain));
            q.addUsed(0, 0);
        }
        assertEquals(70_000 & 0xFFFF, q.lastAvailIndex());
        assertEquals(70_000 & 0xFFFF, ring.usedIdx());
    }

    @Test
    void undoPopReturnsTheChain() {
        ring.setDesc(0, BUF, 16, 0, 0);
        ring.publish(0);
        assertTrue(q.pop(chain));
        q.undoPop();
        assertEquals(1, q.pending());
        assertTrue(q.pop(chain));
    }

    @Test
    void noInterruptFlagSuppressesInterrupts() {
        ring.setDesc(0, BUF, 16, 0, 0);
        ring.publish(0);
        q.pop(chain);
        q.addUsed(0, 0);
        ring.setAvailFlags(Virtio.AVAIL_F_NO_INTERRUPT);
        assertFalse(q.needsInterrupt());
        ring.setAvailFlags(0);
        ring.publish(0);
        q.pop(chain);
        q.addUsed(0, 0);
        assertTrue(q.needsInterrupt());
        assertFalse(q.needsInterrupt(), "nothing new since the last interrupt");
    }

    @Test
    void eventIdxInterruptsOnlyWhenUsedEventIsCrossed() {
        q.activate(SIZE, ring.desc, ring.avail, ring.used, true, true);
        ring.setDesc(0, BUF, 16, 0, 0);
        ring.setUsedEvent(1); // driver wants an interrupt once used idx passes 1
        ring.publish(0);
        q.pop(chain);
        q.addUsed(0, 0); // used idx 1: event index 1 not yet crossed
        assertFalse(q.needsInterrupt());
        ring.publish(0);
        q.pop(chain);
        q.addUsed(0, 0); // used idx 2: crossed
        assertTrue(q.needsInterrupt());
        ring.setAvailFlags(Virtio.AVAIL_F_NO_INTERRUPT); // ignored with EVENT_IDX
        ring.setUsedEvent(2);
        ring.publish(0);
        q.pop(chain);
        q.addUsed(0, 0);
        assertTrue(q.needsInterrupt());
    }

    @Test
    void eventIdxPublishesAvailEvent() {
        q.activate(SIZE, ring.desc, ring.avail, ring.used, true, true);
        ring.setDesc(0, BUF, 16, 0, 0);
        ring.publish(0);
        ring.publish(0);
        assertTrue(q.pop(chain));
        assertTrue(q.enableNotifications(), "one more entry is pending");
        assertEquals(1, ring.availEvent());
        assertTrue(q.pop(chain));
        assertFalse(q.enableNotifications());
        assertEquals(2, ring.availEvent());
    }

    @Test
    void validateRejectsBadGeometry() {
        assertInvalid(Reason.QUEUE_SIZE_NOT_POWER_OF_TWO, 12, ring.desc, ring.avail, ring.used);
        assertInvalid(Reason.QUEUE_SIZE, 0, ring.desc, ring.avail, ring.used);
        assertInvalid(Reason.QUEUE_SIZE, 512, ring.desc, ring.avail, ring.used);
        assertInvalid(Reason.DESCRIPTOR_TABLE_ADDRESS, 8, ring.desc + 8, ring.avail, ring.used);
        assertInvalid(Reason.DRIVER_RING_ADDRESS, 8, ring.desc, MEM - 4, ring.used);
        assertInvalid(Reason.DEVICE_RING_ADDRESS, 8, ring.desc, ring.avail, 0xF000_0000L);
    }

    private void assertInvalid(Reason reason, int size, long desc, long avail, long used) {
        VirtqueueException e = assertThrows(VirtqueueException.class,
                () -> SplitQueue.validate(mem, 1, size, 256, desc, avail, used));
        assertEquals(reason, e.reason(), e.getMessage());
    }
}
