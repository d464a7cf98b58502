package dev.ember.uffd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.memory.GuestMemory;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The VMM's side ({@link UffdBackend}) and the example handler ({@link UffdHandlerMain}) over a
 * real socket and a real userfaultfd, in one process: guest memory reads back the memory file's
 * bytes, zero pages (holes, or data that is all zero) read zero, a range the balloon gave back
 * (MADV_DONTNEED, UFFD_EVENT_REMOVE) reads zero instead of the file's old bytes, and the handler
 * ends when the VMM's connection closes, with its counts.
 */
class UffdHandshakeTest {
    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    @Test
    void theHandlerServesTheMemoryFileThroughFirecrackersProtocol() throws Exception {
        Path mem = dir.resolve("vm.mem");
        try (RandomAccessFile f = new RandomAccessFile(mem.toFile(), "rw")) {
            f.setLength(16 * PAGE); // a sparse file: pages 4..7 and 9..15 are holes
            for (int p = 0; p < 4; p++) {
                byte[] b = new byte[PAGE];
                for (int j = 0; j < PAGE; j++) {
                    b[j] = (byte) (p * 31 + j * 7 + 1);
                }
                f.seek((long) p * PAGE);
                f.write(b);
            }
            f.seek(8L * PAGE);
            f.write(new byte[PAGE]); // data, but all zero
        }
        Path sock = dir.resolve("h.sock");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream log = new PrintStream(out, true, StandardCharsets.UTF_8);
        CompletableFuture<Integer> handler = CompletableFuture.supplyAsync(
                () -> UffdHandlerMain.run(new String[] {"--accept-timeout", "30", sock.toString(), mem.toString()}, log));
        // The socket file appears at bind(2), a moment before listen(2): a connect in between is
        // refused, so wait for the handler's own word that it listens.
        for (int i = 0; i < 1000 && !out.toString(StandardCharsets.UTF_8).contains("listening on"); i++) {
            Thread.sleep(10);
        }
        try (GuestMemory guest = GuestMemory.create(16 * PAGE)) {
            UffdBackend vmm = UffdBackend.attach(sock, guest, PAGE);
            try {
                assertEquals(ProcessHandle.current().pid(), vmm.handlerPid());
                for (int p = 0; p < 4; p++) {
                    for (int j = 0; j < PAGE; j += 509) {
                        assertEquals((byte) (p * 31 + j * 7 + 1), byteAt(guest, (long) p * PAGE + j), "page " + p + " byte " + j);
                    }
                }
                for (int p = 4; p < 16; p++) {
                    assertEquals(0L, longAt(guest, (long) p * PAGE + 64), "zero page " + p);
                }
                assertTrue(guest.discard(0, 2 * PAGE), "MADV_DONTNEED on registered memory");
                assertEquals(0L, longAt(guest, 8), "a page the balloon gave back reads zero, not the file's bytes");
                assertEquals(0L, longAt(guest, PAGE + 8));
                assertEquals((byte) (2 * 31 + 1), byteAt(guest, 2 * PAGE), "the rest is untouched");
            } finally {
                vmm.close();
            }
        }
        assertEquals(0, handler.get(30, TimeUnit.SECONDS), out.toString(StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("serving 0 MiB in 1 region(s), page size 4 KiB"), text);
        assertTrue(text.contains("the VMM has gone; served 4 pages copied from the file (16 KiB), 12 zero pages,"
                + " 2 zero pages after a remove, 1 remove events, 0 already present"), text);
        assertTrue(!Files.exists(sock), "the handler removed its socket after the VMM connected");
    }

    /**
     * Guest memory's bytes as the kernel copies them out (pwrite(2) to a file), never read by Java
     * code: a thread that faults on a registered page in Java code cannot reach a safepoint until
     * the page is served, and the handler here is a thread of this same JVM, which stops at its
     * next safepoint check; a safepoint asked for in between leaves both waiting for good (the
     * clean-clone CI of 6b51fcc hung so: main in handle_userfault, the VM thread syncing). A fault
     * taken in a system call leaves this thread in native code, where a safepoint goes on without it.
     */
    private byte[] copyOut(GuestMemory guest, long offset, int length) throws IOException {
        Path copy = dir.resolve("copy");
        int fd = Native.check(Native.LIBC.open(copy.toString(), LibC.O_RDWR | LibC.O_CREAT | LibC.O_TRUNC | LibC.O_CLOEXEC, 0600),
                "open " + copy);
        try {
            assertEquals(length, Native.LIBC.pwrite64(fd, guest.regions().get(0).hostAddress() + offset, length, 0),
                    "pwrite of guest memory at " + offset);
        } finally {
            Native.LIBC.close(fd);
        }
        return Files.readAllBytes(copy);
    }

    private byte byteAt(GuestMemory guest, long offset) throws IOException {
        return copyOut(guest, offset, 1)[0];
    }

    private long longAt(GuestMemory guest, long offset) throws IOException {
        return ByteBuffer.wrap(copyOut(guest, offset, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    @Test
    void aMissingOrDeafSocketIsAFirecrackerShapedConnectError() throws Exception {
        try (GuestMemory guest = GuestMemory.create(4 * PAGE)) {
            UffdBackendException e = org.junit.jupiter.api.Assertions.assertThrows(UffdBackendException.class,
                    () -> UffdBackend.attach(dir.resolve("none.sock"), guest, PAGE));
            assertEquals(UffdBackendException.Reason.CONNECT, e.reason());
            assertTrue(e.getMessage().startsWith("Load snapshot error: Failed to restore from snapshot: Failed to load guest memory:"
                    + " Error creating guest memory from uffd: Failed to connect to UDS Unix stream: No such file or directory"
                    + " (os error 2). mem_backend.backend_path " + dir.resolve("none.sock") + " does not exist"), e.getMessage());

            Path stale = dir.resolve("stale.sock");
            java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)
                    .bind(java.net.UnixDomainSocketAddress.of(stale)).close(); // the file stays, nobody listens
            e = org.junit.jupiter.api.Assertions.assertThrows(UffdBackendException.class, () -> UffdBackend.attach(stale, guest, PAGE));
            assertTrue(e.getMessage().contains("Failed to connect to UDS Unix stream: Connection refused (os error 111). nothing listens"),
                    e.getMessage());
            assertEquals(0L, guest.getLong(0), "the memory is no longer registered: it reads as plain anonymous memory");
        }
    }
}
