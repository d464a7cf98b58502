package dev.ember.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import dev.ember.sys.NativeMemory;
import org.junit.jupiter.api.Test;

/**
 * RAM made by {@link GuestMemory#createShared} is one memfd mapped shared: a second mapping of
 * its fd (what a vhost-user back-end makes) sees the guest's bytes and its writes reach the
 * guest; regions lie in the file one after another; a discard frees the pages for both sides.
 */
class GuestMemorySharedTest {
    private static final long PAGE = 4096;

    @Test
    void aSecondMappingOfTheFdSharesTheBytesBothWays() {
        long size = 4L << 20;
        try (GuestMemory mem = GuestMemory.createShared(size)) {
            assertTrue(mem.sharedFd() >= 0);
            long other = Native.mmap(0, size, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, mem.sharedFd(), 0);
            assertNotEquals(LibC.MAP_FAILED, other);
            try {
                NativeMemory peer = NativeMemory.view(other, size);
                mem.putLong(0x12340, 0x1122334455667788L);
                assertEquals(0x1122334455667788L, peer.getLong(0x12340));
                peer.putInt(0x200000, 0xcafef00d);
                assertEquals(0xcafef00d, mem.getInt(0x200000));

                mem.fill(0x100000, 4 * PAGE, (byte) 9);
                assertTrue(mem.discard(0x100000, 4 * PAGE));
                assertEquals(0, mem.getByte(0x100000 + PAGE));
                assertEquals(0, peer.getByte(0x100000 + PAGE), "the pages left the file, not only this mapping");
            } finally {
                Native.LIBC.munmap(other, size);
            }
        }
    }

    @Test
    void regionsAboveTheMmioGapFollowTheFirstInTheFile() {
        long size = GuestMemory.MMIO_GAP_START + (2L << 20);
        try (GuestMemory mem = GuestMemory.createShared(size)) {
            assertEquals(2, mem.regions().size());
            assertEquals(0, mem.fileOffset(0));
            assertEquals(GuestMemory.MMIO_GAP_START, mem.fileOffset(1));
            mem.putLong(GuestMemory.MMIO_GAP_END + 8, 42);
            NativeMemory buf = Native.allocate(8);
            assertEquals(8, Native.LIBC.pread64(mem.sharedFd(), buf.address(), 8, GuestMemory.MMIO_GAP_START + 8));
            assertEquals(42, buf.getLong(0));
        }
    }

    @Test
    void privateRamHasNoSharedFd() {
        try (GuestMemory mem = GuestMemory.create(1L << 20)) {
            assertEquals(-1, mem.sharedFd());
        }
    }
}
