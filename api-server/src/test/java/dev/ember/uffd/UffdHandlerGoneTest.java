package dev.ember.uffd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.memory.GuestMemory;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The VMM's side ({@link UffdBackend}) against a handler that fails, as a process of its own
 * ({@link FakeUffdHandler}): whenever the handler goes, every thread of the VMM waiting on guest
 * memory is released and the watch says so; a handler that accepts nothing cannot hold the load.
 * No KVM: guest memory is plain anonymous memory, touched through system calls (a thread stuck on
 * a page in Java code would stop this JVM at its next safepoint, which is the hang being tested).
 */
class UffdHandlerGoneTest {
    private static final int PAGE = 4096;
    /** A limit on waiting, not a measurement: each step takes milliseconds. */
    private static final long LIMIT_S = 60;

    @TempDir
    Path dir;

    private final List<Process> handlers = new ArrayList<>();

    @AfterEach
    void killHandlers() {
        handlers.forEach(Process::destroyForcibly);
    }

    private Process handler(Path sock, String mode, BufferedReader[] out) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                FakeUffdHandler.class.getName(), sock.toString(), mode).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        handlers.add(p);
        out[0] = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("listening", out[0].readLine());
        return p;
    }

    /** A thread named {@code name} running {@code task}; its native thread carries the name (Linux comm). */
    private static <T> FutureTask<T> start(String name, Callable<T> task) {
        FutureTask<T> f = new FutureTask<>(task);
        Thread t = new Thread(f, name);
        t.setDaemon(true);
        t.start();
        return f;
    }

    /** Waits (boundedly) until the thread named {@code comm} sleeps in the kernel on the userfaultfd. */
    private static void awaitBlockedOnUffd(String comm) throws IOException, InterruptedException {
        for (int i = 0; i < 3000; i++) {
            try (var tasks = Files.list(Path.of("/proc/self/task"))) {
                for (Path t : tasks.toList()) {
                    try {
                        if (Files.readString(t.resolve("comm")).trim().equals(comm)
                                && Files.readString(t.resolve("wchan")).contains("userfault")) {
                            return;
                        }
                    } catch (IOException gone) {
                        // a thread that ended meanwhile
                    }
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError(comm + " never waited on the userfaultfd");
    }

    /** read(2) of /dev/zero into guest memory at {@code address}: a write fault taken in the kernel, on behalf of this thread. */
    private static long zeroFill(long address) {
        int fd = Native.check(Native.LIBC.open("/dev/zero", LibC.O_RDONLY | LibC.O_CLOEXEC, 0), "open /dev/zero");
        try {
            return Native.LIBC.read(fd, address, 8);
        } finally {
            Native.LIBC.close(fd);
        }
    }

    /**
     * The handler takes the layout and the fd, serves nothing, and is killed: a thread waiting for
     * a page and one whose MADV_DONTNEED waits for its remove event to be read are both released by
     * the kernel, with no watch started: nothing of the VMM has to run for it.
     */
    @Test
    void aKilledHandlerReleasesEveryWaitingThreadWithoutTheVmmActing() throws Exception {
        withHandler("hang", (h, out, guest, vmm) -> {
            assertEquals(h.pid(), vmm.handlerPid());
            assertEquals("took", out.readLine());
            long base = guest.regions().get(0).hostAddress();
            FutureTask<Long> fault = start("uffd-t-fault", () -> zeroFill(base + PAGE));
            FutureTask<Boolean> remove = start("uffd-t-remove", () -> guest.discard(2 * PAGE, PAGE));
            awaitBlockedOnUffd("uffd-t-fault");
            awaitBlockedOnUffd("uffd-t-remove");
            h.destroyForcibly();
            assertEquals(8L, fault.get(LIMIT_S, TimeUnit.SECONDS), "the faulting read completed on a zero page");
            assertTrue(remove.get(LIMIT_S, TimeUnit.SECONDS), "the MADV_DONTNEED completed");
        });
    }

    /** A handler that takes the layout and exits 1 (as one refusing the VMM's memory size): the watch names its pid. */
    @Test
    void aHandlerThatExitsAfterTheLayoutIsReportedWithItsPid() throws Exception {
        assertWatchSaysExited(false);
    }

    /** Exited and reaped before the watch begins (no pidfd can be had): still "exited", not a closed connection. */
    @Test
    void aHandlerReapedBeforeTheWatchBeganIsReportedExited() throws Exception {
        assertWatchSaysExited(true);
    }

    private void assertWatchSaysExited(boolean reapedFirst) throws Exception {
        withHandler("exit", (h, out, guest, vmm) -> {
            if (reapedFirst) {
                assertEquals(1, h.waitFor(), "the handler exits 1");
            }
            CompletableFuture<String> gone = new CompletableFuture<>();
            vmm.watch(gone::complete);
            assertEquals("the page-fault handler on mem_backend.backend_path " + dir.resolve("h.sock") + " (pid " + h.pid()
                    + ") exited: guest memory it had not served yet can no longer be loaded", gone.get(LIMIT_S, TimeUnit.SECONDS));
            assertTrue(vmm.handlerGone());
            assertEquals(8L, zeroFill(guest.regions().get(0).hostAddress()), "guest memory is the kernel's again");
        });
    }

    private interface Attached {
        void run(Process handler, BufferedReader handlerOut, GuestMemory guest, UffdBackend vmm) throws Exception;
    }

    /** Starts a {@link FakeUffdHandler} in {@code mode}, attaches four pages of guest memory to it, runs {@code body}. */
    private void withHandler(String mode, Attached body) throws Exception {
        Path sock = dir.resolve("h.sock");
        BufferedReader[] out = new BufferedReader[1];
        Process h = handler(sock, mode, out);
        try (GuestMemory guest = GuestMemory.create(4 * PAGE)) {
            UffdBackend vmm = UffdBackend.attach(sock, guest, PAGE);
            try {
                body.run(h, out[0], guest, vmm);
            } finally {
                vmm.close();
            }
        }
    }

    /** A handler whose backlog is full (stopped, or serving another VMM) fails the connect after the bound, with the fix. */
    @Test
    void aHandlerThatAcceptsNoConnectionBoundsTheConnect() throws Exception {
        Path sock = dir.resolve("full.sock");
        List<SocketChannel> queued = new ArrayList<>();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                GuestMemory guest = GuestMemory.create(4 * PAGE)) {
            server.bind(UnixDomainSocketAddress.of(sock), 1); // never accepts
            for (int i = 0; i < 64; i++) { // fill the backlog: a non-blocking connect is refused once it is full
                SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
                c.configureBlocking(false);
                queued.add(c);
                try {
                    c.connect(UnixDomainSocketAddress.of(sock));
                } catch (IOException full) {
                    break;
                }
            }
            FutureTask<UffdBackendException> attach = start("uffd-t-attach",
                    () -> assertThrows(UffdBackendException.class, () -> UffdBackend.attach(sock, guest, PAGE, 500)));
            UffdBackendException e = attach.get(LIMIT_S, TimeUnit.SECONDS);
            assertEquals(UffdBackendException.Reason.CONNECT, e.reason());
            assertTrue(e.getMessage().contains("Failed to connect to UDS Unix stream: Resource temporarily unavailable (os error 11)."
                    + " the page-fault handler on mem_backend.backend_path " + sock + " accepted no connection within 500 ms"), e.getMessage());
            assertEquals(8L, zeroFill(guest.regions().get(0).hostAddress()), "guest memory is no longer registered");
        } finally {
            for (SocketChannel c : queued) {
                c.close();
            }
        }
    }
}
