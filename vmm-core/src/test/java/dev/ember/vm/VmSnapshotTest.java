package dev.ember.vm;

import static dev.ember.vm.LongModeTestGuest.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.kvm.KvmRegs;
import dev.ember.memory.GuestMemory;
import dev.ember.snapshot.AtomicFile;
import dev.ember.snapshot.MemoryFile;
import dev.ember.snapshot.SnapshotFormatException;
import dev.ember.snapshot.StateSections;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import dev.ember.testing.TestTags;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running guest is paused, its state and memory saved, the VM destroyed, and a new VM built
 * from the files continues the same computation: registers and memory come back, the guest
 * keeps counting from where it was.
 */
@Tag(TestTags.NEEDS_KVM)
class VmSnapshotTest {
    private static final long COUNTER = 0x4000;
    /** inc qword [0x4000]; inc r15; jmp back: memory and a register both count. */
    private static final byte[] SPIN = hex("48 ff 04 25 00 40 00 00 49 ff c7 eb f3");
    private static final long MEM = 4L << 20;

    @TempDir
    Path dir;

    @BeforeEach
    void needKvm() {
        KvmTestSupport.requireKvm();
    }

    @Test
    void savedVmContinuesInANewVm() throws Exception {
        Path state = dir.resolve("vm.state");
        Path memFile = dir.resolve("vm.mem");
        long savedCounter;
        long savedRip;
        try (Vm vm = Vm.create(new VmSpec(1, MEM, false))) {
            vm.configureBoot(LongModeTestGuest.write(vm.memory(), SPIN));
            vm.start();
            waitForCounterAbove(vm.memory(), 1000);
            vm.pause();
            savedCounter = vm.memory().getLong(COUNTER);
            KvmRegs regs = new KvmRegs();
            vm.vcpuFd(0).getRegs(regs);
            savedRip = regs.get(KvmRegs.RIP);
            StateSections sections = new StateSections();
            vm.saveState(sections);
            sections.write(state);
            AtomicFile.write(memFile, fd -> vm.memory().dumpTo(fd));
        }
        assertEquals(MEM, Files.size(memFile));

        GuestMemory mem = mapped(memFile);
        try (Vm vm = Vm.create(new VmSpec(1, MEM, false), mem)) {
            assertEquals(savedCounter, vm.memory().getLong(COUNTER), "memory file mapped");
            vm.restoreState(StateSections.read(state));
            KvmRegs regs = new KvmRegs();
            vm.vcpuFd(0).getRegs(regs);
            assertEquals(savedRip, regs.get(KvmRegs.RIP));
            long r15 = regs.get(KvmRegs.R15);
            assertTrue(r15 > 0, "r15 counted before the snapshot");
            assertTrue(savedCounter - r15 == 0 || savedCounter - r15 == 1,
                    "r15 (" + r15 + ") counts with the memory counter (" + savedCounter + "), at most one instruction behind");
            vm.start();
            waitForCounterAbove(vm.memory(), savedCounter + 1000);
            vm.pause();
            vm.vcpuFd(0).getRegs(regs);
            long diff = vm.memory().getLong(COUNTER) - regs.get(KvmRegs.R15);
            assertTrue(diff == 0 || diff == 1, "the same loop continued: counter and r15 still in step (" + diff + ")");
        }
        assertEquals(savedCounter, readCounterInFile(memFile), "guest writes never reach the memory file (MAP_PRIVATE)");
    }

    @Test
    void diffSnapshotReplacesOnlyWrittenPages() throws Exception {
        Path state = dir.resolve("vm.state");
        Path memFile = dir.resolve("vm.mem");
        long counterAtDiff;
        try (Vm vm = Vm.create(new VmSpec(1, MEM, false), GuestMemory.create(MEM), true)) {
            assertTrue(vm.addressSpace().tracksDirtyPages());
            vm.configureBoot(LongModeTestGuest.write(vm.memory(), SPIN));
            vm.start();
            waitForCounterAbove(vm.memory(), 1000);
            vm.pause();
            vm.addressSpace().takeDirtyPages(); // the Full snapshot below is the new base
            MemoryFile.writeFull(memFile, vm.memory());
            long counterAtFull = vm.memory().getLong(COUNTER);

            vm.resume();
            waitForCounterAbove(vm.memory(), counterAtFull + 1000);
            vm.pause();
            vm.memory().putLong(0x300000, 0x77); // a VMM write (device DMA) while paused
            long[][] dirty = vm.addressSpace().takeDirtyPages();
            assertTrue(isSet(dirty[0], COUNTER / 4096), "the guest's counter page is in KVM's dirty log");
            assertTrue(isSet(dirty[0], 0x300000 / 4096), "the VMM's write is tracked");
            assertFalse(isSet(dirty[0], LongModeTestGuest.CODE / 4096), "the code page was only read");
            counterAtDiff = vm.memory().getLong(COUNTER);
            StateSections sections = new StateSections();
            vm.saveState(sections);
            sections.write(state);
            MemoryFile.writeDiff(memFile, vm.memory(), dirty);
            assertEquals(0, vm.addressSpace().takeDirtyPages()[0][(int) (COUNTER / 4096 / 64)], "the logs started over");
        }
        GuestMemory mem = mapped(memFile);
        try (Vm vm = Vm.create(new VmSpec(1, MEM, false), mem)) {
            assertEquals(counterAtDiff, vm.memory().getLong(COUNTER), "the diff carried the counter page");
            assertEquals(0x77, vm.memory().getLong(0x300000), "and the VMM-written page");
            vm.restoreState(StateSections.read(state));
            vm.start();
            waitForCounterAbove(vm.memory(), counterAtDiff + 1000);
        }
    }

    private static boolean isSet(long[] bitmap, long page) {
        return (bitmap[(int) (page >>> 6)] & (1L << (page & 63))) != 0;
    }

    @Test
    void stateOfAnotherShapeIsRefused() throws Exception {
        StateSections sections = new StateSections();
        try (Vm vm = Vm.create(new VmSpec(1, MEM, false))) {
            vm.configureBoot(LongModeTestGuest.write(vm.memory(), SPIN));
            vm.saveState(sections); // never started: state can be read as is
        }
        try (Vm vm = Vm.create(new VmSpec(2, MEM, false))) {
            SnapshotFormatException e = assertThrows(SnapshotFormatException.class, () -> vm.restoreState(sections));
            assertTrue(e.getMessage().contains("1 vCPUs") && e.getMessage().contains("2 vCPUs"), e.getMessage());
        }
    }

    @Test
    void runningVmCannotBeSaved() throws Exception {
        try (Vm vm = Vm.create(new VmSpec(1, MEM, false))) {
            vm.configureBoot(LongModeTestGuest.write(vm.memory(), SPIN));
            vm.start();
            assertThrows(IllegalStateException.class, () -> vm.saveState(new StateSections()));
        }
    }

    private static long readCounterInFile(Path memFile) throws Exception {
        byte[] b = Files.readAllBytes(memFile);
        return java.nio.ByteBuffer.wrap(b, (int) COUNTER, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private static void waitForCounterAbove(GuestMemory mem, long floor) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (mem.getLong(COUNTER) <= floor) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("guest counter stayed at " + mem.getLong(COUNTER) + ", expected above " + floor);
            }
            Thread.sleep(5);
        }
    }

    /** The memory file mapped privately, as a snapshot load does. */
    private static GuestMemory mapped(Path memFile) {
        int fd = Native.LIBC.open(memFile.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
        assertTrue(fd >= 0, () -> "open " + memFile + ": errno " + Native.errno());
        try {
            return GuestMemory.mapFile(MEM, fd);
        } finally {
            Native.LIBC.close(fd);
        }
    }
}
