package dev.ember.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.memory.GuestMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Diff memory files from the VMM's dirty-page bitmap (no KVM needed: only VMM writes here):
 * onto an existing file only the written pages change; without one, only they are present;
 * a base of another size is refused by name.
 */
class MemoryFileTest {
    private static final long SIZE = 2L << 20;

    @TempDir
    Path dir;

    private static long at(byte[] file, long offset) {
        return ByteBuffer.wrap(file, (int) offset, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private static long[][] taken(GuestMemory mem) {
        long[][] dirty = new long[mem.regions().size()][];
        for (int i = 0; i < dirty.length; i++) {
            dirty[i] = new long[mem.bitmapWords(i)];
            mem.takeVmmDirtyPages(i, dirty[i]);
        }
        return dirty;
    }

    @Test
    void diffOntoTheBaseReplacesOnlyWrittenPages() throws Exception {
        Path file = dir.resolve("vm.mem");
        try (GuestMemory mem = GuestMemory.create(SIZE)) {
            mem.trackDirtyPages();
            mem.putLong(0x1000, 1);
            mem.putLong(0x5000, 5);
            MemoryFile.writeFull(file, mem);
            taken(mem); // the Full is the new base

            mem.putLong(0x5000, 55);       // changed page
            mem.fill(0x9000, 8, (byte) 9); // new page
            long[][] dirty = taken(mem);
            assertEquals((1L << 5) | (1L << 9), dirty[0][0], "exactly the two pages written since");
            // A page changed behind the tracker's back must not reach the diff: it proves only dirty pages are written.
            long hidden = mem.regions().get(0).hostAddress(); // raw address, outside GuestMemory's accessors
            dev.ember.sys.NativeMemory.view(hidden, 0x2000).putLong(0x1000, 99);
            MemoryFile.writeDiff(file, mem, dirty);
        }
        byte[] b = Files.readAllBytes(file);
        assertEquals(SIZE, b.length);
        assertEquals(1, at(b, 0x1000), "an unwritten page keeps the base's content");
        assertEquals(55, at(b, 0x5000));
        assertEquals(0x0909090909090909L, at(b, 0x9000));
    }

    @Test
    void diffWithoutABaseHoldsOnlyTheDirtyPages() throws Exception {
        Path file = dir.resolve("first.mem");
        try (GuestMemory mem = GuestMemory.create(SIZE)) {
            mem.trackDirtyPages();
            mem.putLong(0x3000, 3);
            long[][] dirty = taken(mem);
            mem.putLong(0x4000, 4); // written after the bitmap was taken: not part of this diff
            MemoryFile.writeDiff(file, mem, dirty);
        }
        byte[] b = Files.readAllBytes(file);
        assertEquals(SIZE, b.length);
        assertEquals(3, at(b, 0x3000));
        assertEquals(0, at(b, 0x4000));
    }

    @Test
    void baseOfAnotherSizeIsRefusedByName() throws Exception {
        Path file = Files.write(dir.resolve("other.mem"), new byte[4096]);
        try (GuestMemory mem = GuestMemory.create(SIZE)) {
            mem.trackDirtyPages();
            SnapshotIoException e = assertThrows(SnapshotIoException.class, () -> MemoryFile.writeDiff(file, mem, taken(mem)));
            assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("4096 bytes"), e.getMessage());
        }
        assertEquals(4096, Files.size(file), "the refused base is untouched");
    }

    /**
     * A hotpluggable range (after RAM in the file) is carried whole by Full and Diff files: a
     * page the guest changed or zeroed since the base (an unplugged block's pages read zero) is
     * what the Diff holds, though no dirty log covers the range.
     */
    @Test
    void fullAndDiffCarryTheHotpluggableRangeAfterRam() throws Exception {
        Path file = dir.resolve("hotplug.mem");
        long rangeSize = 1L << 20;
        long base = 0x1_0000_0000L;
        long host = dev.ember.sys.Native.mmap(0, rangeSize, dev.ember.sys.LibC.PROT_READ | dev.ember.sys.LibC.PROT_WRITE,
                dev.ember.sys.LibC.MAP_PRIVATE | dev.ember.sys.LibC.MAP_ANONYMOUS, -1, 0);
        try (GuestMemory mem = GuestMemory.create(SIZE)) {
            mem.trackDirtyPages();
            mem.attachHotplug(new dev.ember.memory.GuestRegion(base, rangeSize, host), (offset, len) -> true);
            assertEquals(SIZE + rangeSize, mem.fileSize());
            mem.putLong(0x2000, 2);
            mem.putLong(base + 0x1000, 11);
            mem.putLong(base + 0x3000, 33);
            MemoryFile.writeFull(file, mem);
            byte[] full = Files.readAllBytes(file);
            assertEquals(SIZE + rangeSize, full.length, "RAM, then the range");
            assertEquals(11, at(full, SIZE + 0x1000));
            assertEquals(33, at(full, SIZE + 0x3000));
            long[][] dirty = taken(mem);

            mem.putLong(base + 0x1000, 0);  // zeroed since the base (as an unplugged block's pages are)
            mem.putLong(base + 0x5000, 55); // new
            MemoryFile.writeDiff(file, mem, taken(mem));
            assertEquals(0, dirty[0][0] & ~(1L << 2), "only RAM's page 2 was in the first log");
        } finally {
            dev.ember.sys.Native.LIBC.munmap(host, rangeSize);
        }
        byte[] b = Files.readAllBytes(file);
        assertEquals(SIZE + rangeSize, b.length);
        assertEquals(2, at(b, 0x2000), "RAM from the base");
        assertEquals(0, at(b, SIZE + 0x1000), "a page zeroed since the base is zero in the Diff");
        assertEquals(33, at(b, SIZE + 0x3000));
        assertEquals(55, at(b, SIZE + 0x5000));
    }
}
