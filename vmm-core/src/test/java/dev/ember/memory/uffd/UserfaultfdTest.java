package dev.ember.memory.uffd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.kenai.jffi.MemoryIO;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import dev.ember.sys.NativeMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A real userfaultfd on anonymous memory: a thread that touches a registered page blocks until
 * this test resolves the fault (UFFDIO_COPY or UFFDIO_ZEROPAGE), and MADV_DONTNEED on a
 * registered range arrives as UFFD_EVENT_REMOVE. The same calls the VMM and the handler make.
 */
class UserfaultfdTest {
    private static final long PAGE = 4096;
    private static final MemoryIO IO = MemoryIO.getInstance();
    private long mem;
    private final long size = 16 * PAGE;
    private Userfaultfd uffd;
    private final NativeMemory msg = Native.allocate(UffdAbi.MSG_SIZE * 8);

    @BeforeEach
    void setUp() throws Exception {
        mem = Native.mmap(0, size, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE, -1, 0);
        uffd = Userfaultfd.open(UffdAbi.UFFD_FEATURE_EVENT_REMOVE);
        uffd.register(mem, size);
    }

    @AfterEach
    void tearDown() {
        Native.LIBC.munmap(mem, size);
        uffd.close();
    }

    /** The next message, waiting for it up to 10 s. */
    private int nextMessage() throws InterruptedException {
        for (int i = 0; i < 1000; i++) {
            int n = uffd.read(msg.address(), 1);
            assertTrue(n >= 0, "read: errno " + -n);
            if (n == 1) {
                return msg.getByte(UffdAbi.MSG_EVENT) & 0xff;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no userfaultfd message within 10 s");
    }

    @Test
    void aTouchedPageWaitsForTheHandlerAndGetsTheCopiedBytes() throws Exception {
        long page = mem + 3 * PAGE;
        CompletableFuture<Long> reader = CompletableFuture.supplyAsync(() -> IO.getLong(page + 8));
        assertEquals(UffdAbi.UFFD_EVENT_PAGEFAULT, nextMessage());
        assertEquals(page, msg.getLong(UffdAbi.MSG_PAGEFAULT_ADDRESS) & -PAGE);
        assertTrue(!reader.isDone(), "the reader waits for the page");
        NativeMemory src = Native.allocate((int) PAGE);
        src.putLong(8, 0x1122334455667788L);
        assertEquals(PAGE, uffd.copy(page, src.address(), PAGE));
        assertEquals(0x1122334455667788L, reader.get(10, TimeUnit.SECONDS));
        assertEquals(-LibC.EEXIST, uffd.copy(page, src.address(), PAGE), "a page already there is not replaced");
    }

    @Test
    void zeroPageResolvesAFaultWithZeros() throws Exception {
        long page = mem + 5 * PAGE;
        CompletableFuture<Long> reader = CompletableFuture.supplyAsync(() -> IO.getLong(page + 16));
        assertEquals(UffdAbi.UFFD_EVENT_PAGEFAULT, nextMessage());
        assertEquals(PAGE, uffd.zeroPage(page, PAGE));
        assertEquals(0L, reader.get(10, TimeUnit.SECONDS));
    }

    @Test
    void madviseDontneedIsReportedAsARemoveEvent() throws Exception {
        NativeMemory src = Native.allocate((int) PAGE);
        src.putLong(0, 42);
        assertEquals(PAGE, uffd.copy(mem, src.address(), PAGE)); // populated without a fault
        assertEquals(42L, IO.getLong(mem));
        // The remover waits until the handler has read the event (non-cooperative mode).
        CompletableFuture<Integer> remover = CompletableFuture.supplyAsync(() -> Native.LIBC.madvise(mem, 2 * PAGE, LibC.MADV_DONTNEED));
        assertEquals(UffdAbi.UFFD_EVENT_REMOVE, nextMessage());
        assertEquals(mem, msg.getLong(UffdAbi.MSG_REMOVE_START));
        assertEquals(mem + 2 * PAGE, msg.getLong(UffdAbi.MSG_REMOVE_END));
        assertEquals(0, remover.get(10, TimeUnit.SECONDS));
        CompletableFuture<Long> reader = CompletableFuture.supplyAsync(() -> IO.getLong(mem));
        assertEquals(UffdAbi.UFFD_EVENT_PAGEFAULT, nextMessage(), "the removed page faults again");
        assertEquals(PAGE, uffd.zeroPage(mem, PAGE));
        assertEquals(0L, reader.get(10, TimeUnit.SECONDS));
    }

    @Test
    void unregisterWakesAThreadWaitingForAPage() throws Exception {
        long page = mem + 7 * PAGE;
        CompletableFuture<Long> reader = CompletableFuture.supplyAsync(() -> IO.getLong(page));
        assertEquals(UffdAbi.UFFD_EVENT_PAGEFAULT, nextMessage());
        assertTrue(uffd.unregister(mem, size));
        assertEquals(0L, reader.get(10, TimeUnit.SECONDS), "the kernel's own zero page once nobody serves the range");
    }
}
