package dev.ember.devices.virtio;

import static org.junit.jupiter.api.Assertions.*;

import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import dev.ember.sys.NativeMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The raw io_uring on real files and pipes: data, ordering, back-pressure, errors. */
class IoUringTest {
    @TempDir Path dir;
    private IoUring ring;
    private final List<long[]> done = new ArrayList<>();
    private final IoUring.CompletionHandler record = (userData, res) -> done.add(new long[] {userData, res});

    @BeforeEach
    void setUp() {
        ring = IoUring.create(8);
    }

    @AfterEach
    void tearDown() {
        ring.close();
    }

    private void awaitCompletions(int n) {
        while (done.size() < n) {
            assertTrue(ring.submitAndWait(1) >= 0, "io_uring_enter");
            ring.reap(record);
        }
    }

    @Test
    void writesFsyncAndReadsRoundTripThroughAFile() throws IOException {
        Path f = Files.createTempFile(dir, "ring", ".img");
        Files.write(f, new byte[8192]);
        int fd = Native.LIBC.open(f.toString(), LibC.O_RDWR | LibC.O_CLOEXEC, 0);
        IoVecArray iov = new IoVecArray(2);
        NativeMemory a = Native.allocate(4096), b = Native.allocate(4096);
        for (int i = 0; i < 4096; i++) {
            a.putByte(i, (byte) (i * 13 + 1));
        }
        iov.set(0, a.address(), 4096);
        assertTrue(ring.prepareWritev(fd, iov.address(), 1, 4096, 7));
        assertTrue(ring.prepareFsyncAfterPrevious(fd, 8));
        assertEquals(2, ring.submit());
        awaitCompletions(2);
        assertEquals(7, done.get(0)[0], "the write completes before the drained fsync");
        assertEquals(4096, done.get(0)[1]);
        assertEquals(8, done.get(1)[0]);
        assertEquals(0, done.get(1)[1], "fsync succeeded");
        byte[] file = Files.readAllBytes(f);
        for (int i = 0; i < 4096; i++) {
            assertEquals((byte) (i * 13 + 1), file[4096 + i], "file byte " + i);
        }
        iov.set(1, b.address(), 4096);
        assertTrue(ring.prepareReadv(fd, iov.addressOf(1), 1, 4096, 9));
        ring.submit();
        awaitCompletions(3);
        assertEquals(4096, done.get(2)[1]);
        for (int i = 0; i < 4096; i++) {
            assertEquals(a.getByte(i), b.getByte(i));
        }
        assertEquals(0, ring.outstanding());
        Native.LIBC.close(fd);
    }

    @Test
    void completionsArriveInTheOrderTheyFinishNotTheOrderSubmitted() {
        int[] pipe = pipe();
        IoVecArray iov = new IoVecArray(1);
        NativeMemory buf = Native.allocate(16);
        iov.set(0, buf.address(), 16);
        assertTrue(ring.prepareReadv(pipe[0], iov.address(), 1, -1, 1)); // waits for the pipe
        assertTrue(ring.prepareNop(2));
        ring.submit();
        awaitCompletions(1);
        assertEquals(2, done.get(0)[0], "the NOP overtook the blocked read");
        assertEquals(1, ring.outstanding());
        writePipe(pipe[1], 5);
        awaitCompletions(2);
        assertEquals(1, done.get(1)[0]);
        assertEquals(5, done.get(1)[1]);
        Native.LIBC.close(pipe[0]);
        Native.LIBC.close(pipe[1]);
    }

    @Test
    void aFullRingRefusesNewRequestsUntilCompletionsAreReaped() {
        int[] pipe = pipe();
        IoVecArray iov = new IoVecArray(1);
        NativeMemory buf = Native.allocate(1);
        iov.set(0, buf.address(), 1);
        for (int i = 0; i < ring.capacity(); i++) {
            assertTrue(ring.prepareReadv(pipe[0], iov.address(), 1, -1, i));
        }
        ring.submit();
        assertTrue(ring.full());
        assertFalse(ring.prepareNop(99), "no slot left");
        writePipe(pipe[1], 1);
        awaitCompletions(1);
        assertFalse(ring.full());
        assertTrue(ring.prepareNop(99));
        writePipe(pipe[1], ring.capacity() - 1);
        awaitCompletions(ring.capacity() + 1);
        assertEquals(0, ring.outstanding());
        Native.LIBC.close(pipe[0]);
        Native.LIBC.close(pipe[1]);
    }

    @Test
    void badDescriptorsAndAddressesCompleteWithAnErrorAndTheRingStaysUsable() throws IOException {
        IoVecArray iov = new IoVecArray(2);
        NativeMemory buf = Native.allocate(512);
        iov.set(0, buf.address(), 512);
        assertTrue(ring.prepareReadv(-1, iov.address(), 1, 0, 1));
        assertTrue(ring.prepareReadv(987654, iov.address(), 1, 0, 2)); // not an open descriptor
        Path f = Files.createTempFile(dir, "ring", ".img");
        Files.write(f, new byte[4096]);
        int fd = Native.LIBC.open(f.toString(), LibC.O_RDWR | LibC.O_CLOEXEC, 0);
        iov.set(1, 0x10, 512); // unmapped user address
        assertTrue(ring.prepareReadv(fd, iov.addressOf(1), 1, 0, 3));
        assertTrue(ring.prepareFsyncAfterPrevious(-1, 4));
        ring.submit();
        awaitCompletions(4);
        for (long[] d : done) {
            long expected = d[0] == 3 ? -LibC.EFAULT : -9 /* EBADF */;
            assertEquals(expected, d[1], "request " + d[0]);
        }
        assertTrue(ring.prepareReadv(fd, iov.address(), 1, 0, 5));
        ring.submit();
        awaitCompletions(5);
        assertEquals(512, done.get(4)[1], "the ring serves good requests after bad ones");
        Native.LIBC.close(fd);
    }

    private static int[] pipe() {
        NativeMemory fds = Native.allocate(8);
        assertEquals(0, Native.LIBC.syscall(293 /* pipe2 */, fds.address(), LibC.O_CLOEXEC, 0));
        return new int[] {fds.getInt(0), fds.getInt(4)};
    }

    private static void writePipe(int fd, int n) {
        NativeMemory b = Native.allocate(Math.max(1, n));
        assertEquals(n, Native.LIBC.write(fd, b.address(), n));
    }
}
