package dev.ember.uffd;

import dev.ember.eventloop.EventFd;
import dev.ember.memory.GuestMemory;
import dev.ember.memory.GuestRegion;
import dev.ember.memory.uffd.UffdAbi;
import dev.ember.memory.uffd.Userfaultfd;
import dev.ember.memory.uffd.UserfaultfdException;
import dev.ember.sys.FdPassing;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import dev.ember.sys.SockaddrUn;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import dev.ember.sys.NativeMemory;

/**
 * The VMM's side of the Uffd memory backend (Firecracker's protocol, docs/snapshots.md): guest
 * memory, mapped anonymous, is registered with a new userfaultfd; the VMM connects to the
 * handler's socket and sends the regions as JSON ({@link UffdMapping}) with the fd attached
 * (SCM_RIGHTS). From then on the handler serves every page the guest or the VMM touches first.
 *
 * <p>Unlike Firecracker, the VMM closes its own copy of the fd once it is sent, so the handler's
 * is the last: when the handler exits, the kernel itself unregisters guest memory and wakes every
 * thread waiting for a page. Releasing them from a thread of this process cannot be relied on: a
 * thread that faults while running Java code (a device reading a virtqueue) cannot reach a JVM
 * safepoint, so once one is requested every other Java thread, a watcher included, stops at its
 * next return from native code, and the process hangs for good (Firecracker hangs at the next
 * fault). The pages the handler never served then read as zero, so the VM must not go on:
 * {@link #watch} waits for the handler's process to exit (a pidfd of the peer's pid), or, when that
 * pid is not visible here (another PID namespace), for the connection to close, and says so.
 */
public final class UffdBackend implements AutoCloseable {
    /**
     * How long connect (the handler's backlog full: it is stopped, or busy with another VMM) and
     * the send of the layout may block: a handler that takes no connection must not hang the load.
     */
    static final long HANDSHAKE_TIMEOUT_MS = 10_000;

    private final Path socketPath;
    private final int socket;
    private final int handlerPid;
    private final EventFd stop = EventFd.nonBlocking();
    private volatile boolean handlerGone;
    /** Counted down once {@link #watch}'s callback has run for a handler that went. */
    private final CountDownLatch goneReported = new CountDownLatch(1);
    private Thread watcher;

    private UffdBackend(Path socketPath, int socket, int handlerPid) {
        this.socketPath = socketPath;
        this.socket = socket;
        this.handlerPid = handlerPid;
    }

    /**
     * Registers {@code memory} (anonymous, untouched) with a new userfaultfd and hands it to the
     * handler listening on {@code socketPath}. {@code pageSize} is the memory's page size in bytes
     * (4 KiB, or 2 MiB on hugetlbfs).
     */
    public static UffdBackend attach(Path socketPath, GuestMemory memory, long pageSize) throws UffdBackendException {
        return attach(socketPath, memory, pageSize, HANDSHAKE_TIMEOUT_MS);
    }

    /** {@link #attach(Path, GuestMemory, long)} with connect and send bounded by {@code timeoutMs}. */
    static UffdBackend attach(Path socketPath, GuestMemory memory, long pageSize, long timeoutMs) throws UffdBackendException {
        Userfaultfd uffd;
        try {
            // EVENT_REMOVE as Firecracker asks: the balloon's MADV_DONTNEED then tells the handler
            // which pages to serve as zero from now on, instead of the file's old bytes.
            uffd = Userfaultfd.open(UffdAbi.UFFD_FEATURE_EVENT_REMOVE);
        } catch (UserfaultfdException e) {
            throw new UffdBackendException(UffdBackendException.Reason.CREATE, "Failed to UFFD object: " + e.getMessage(), null);
        }
        int socket = -1;
        try {
            List<UffdMapping> mappings = new ArrayList<>();
            long offset = 0;
            for (GuestRegion r : memory.regions()) {
                try {
                    uffd.register(r.hostAddress(), r.size());
                } catch (UserfaultfdException e) {
                    throw new UffdBackendException(UffdBackendException.Reason.REGISTER,
                            "Failed to register memory address range with the userfaultfd object: " + e.getMessage(), null);
                }
                mappings.add(new UffdMapping(r.hostAddress(), r.size(), offset, pageSize));
                offset += r.size();
            }
            socket = connect(socketPath, timeoutMs);
            byte[] json = UffdMapping.toJson(mappings);
            long sent = FdPassing.sendWithFd(socket, json, uffd.fd());
            if (sent != json.length) {
                int e = sent < 0 ? Native.errno() : 0;
                throw new UffdBackendException(UffdBackendException.Reason.SEND, "Failed to sends file descriptor: "
                        + (sent < 0 ? Native.LIBC.strerror(e) + " (os error " + e + ")" : "only " + sent + " of " + json.length + " bytes sent"),
                        e == LibC.EAGAIN ? "the page-fault handler on " + socketPath + " took no guest memory layout within "
                                + timeoutMs + " ms: is it stopped or stuck?"
                                : "the page-fault handler on " + socketPath + " closed the connection before taking the guest memory layout");
            }
            return new UffdBackend(socketPath, socket, FdPassing.peerPid(socket));
        } catch (RuntimeException e) { // UffdBackendException included
            if (socket >= 0) {
                Native.LIBC.close(socket);
            }
            throw e;
        } finally {
            uffd.close(); // sent, or failed (memory is then plain anonymous again): the handler's copy alone keeps it armed
        }
    }

    private static int connect(Path path, long timeoutMs) throws UffdBackendException {
        SockaddrUn addr;
        try {
            addr = new SockaddrUn(path.toString());
        } catch (IllegalArgumentException e) {
            throw new UffdBackendException(UffdBackendException.Reason.CONNECT, "Failed to connect to UDS Unix stream: "
                    + "File name too long (os error 36)", "mem_backend.backend_path: " + e.getMessage());
        }
        int fd = Native.LIBC.socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0 || FdPassing.sendTimeout(fd, timeoutMs) < 0 || Native.LIBC.connect(fd, addr.address(), addr.length()) < 0) {
            int e = Native.errno();
            if (fd >= 0) {
                Native.LIBC.close(fd);
            }
            String hint = switch (e) {
                case LibC.ENOENT -> "mem_backend.backend_path " + path + " does not exist: start the page-fault handler"
                        + " (e.g. bin/ember-uffd-handler " + path + " MEMORY_FILE) before loading the snapshot";
                case LibC.ECONNREFUSED -> "nothing listens on mem_backend.backend_path " + path
                        + " (a stale socket file, or the handler has not called listen yet)";
                case LibC.EAGAIN -> "the page-fault handler on mem_backend.backend_path " + path + " accepted no connection within "
                        + timeoutMs + " ms (is it stopped, or serving another VMM?): restart it, then load the snapshot again";
                default -> "mem_backend.backend_path " + path + " must be the Unix socket the page-fault handler listens on";
            };
            throw new UffdBackendException(UffdBackendException.Reason.CONNECT, "Failed to connect to UDS Unix stream: "
                    + Native.LIBC.strerror(e) + " (os error " + e + ")", hint);
        }
        return fd;
    }

    /** The handler's pid as seen from here; 0 when it is in a PID namespace this process cannot see. */
    public int handlerPid() {
        return handlerPid;
    }

    public boolean handlerGone() {
        return handlerGone;
    }

    /**
     * Whether the watch reports the handler gone within {@code timeout}. The kernel wakes the
     * threads waiting for pages (onto zero pages) while the handler's process is still closing
     * its files, before its pidfd reports the exit, so a guest can crash on those pages and end
     * before the watch has said anything: whoever judges such an end waits this long for it.
     */
    public boolean awaitGone(Duration timeout) {
        try {
            return goneReported.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return handlerGone;
        }
    }

    /**
     * Starts a thread that calls {@code onGone} once, with a description, when the handler has
     * gone (the kernel has then woken every thread that waited for a page, see above).
     */
    public synchronized void watch(Consumer<String> onGone) {
        if (watcher != null) {
            throw new IllegalStateException("already watched");
        }
        watcher = new Thread(() -> awaitHandlerEnd(onGone), "uffd-handler-watch");
        watcher.setDaemon(true);
        watcher.start();
    }

    private void awaitHandlerEnd(Consumer<String> onGone) {
        int pidfd = handlerPid > 0 ? (int) Native.LIBC.syscall(UffdAbi.SYS_PIDFD_OPEN, handlerPid, 0, 0) : -1;
        // ESRCH: the handler exited and was reaped before this watch began; the socket alone would say "closed".
        boolean exited = pidfd < 0 && handlerPid > 0 && Native.errno() == LibC.ESRCH;
        String what = pidfd >= 0 || exited ? "exited" : "closed its connection";
        try {
            if (!exited) {
                // Process exit when its pid is known; otherwise the connection's end (the handler keeps it open while it serves).
                int end = awaitEither(pidfd >= 0 ? pidfd : socket, pidfd >= 0 ? FdPassing.POLLIN : FdPassing.POLLRDHUP);
                if (end == 0) {
                    return; // closed here
                }
                if (end < 0) { // a watch that ended silently would leave the VM running on pages nobody serves
                    what = "can no longer be watched (poll: " + Native.LIBC.strerror(-end) + ")";
                }
            }
        } finally {
            if (pidfd >= 0) {
                Native.LIBC.close(pidfd);
            }
        }
        handlerGone = true;
        try {
            onGone.accept("the page-fault handler on mem_backend.backend_path " + socketPath
                    + (handlerPid > 0 ? " (pid " + handlerPid + ")" : "") + " " + what
                    + ": guest memory it had not served yet can no longer be loaded");
        } finally {
            goneReported.countDown();
        }
    }

    /** Polls {@link #stop} and {@code fd} for {@code events}: 0 when stopped here, 1 when fd reported, or a negative errno. */
    private int awaitEither(int fd, short events) {
        NativeMemory fds = Native.allocate(2 * FdPassing.POLLFD_SIZE);
        fds.putInt(FdPassing.POLLFD_FD, stop.fd());
        fds.putShort(FdPassing.POLLFD_EVENTS, FdPassing.POLLIN);
        fds.putInt(FdPassing.POLLFD_SIZE + FdPassing.POLLFD_FD, fd);
        fds.putShort(FdPassing.POLLFD_SIZE + FdPassing.POLLFD_EVENTS, events);
        while (true) {
            int n = Native.LIBC.poll(fds.address(), 2, -1);
            if (n < 0) {
                int e = Native.errno();
                if (e == LibC.EINTR) {
                    continue;
                }
                return -e;
            }
            if ((fds.getShort(FdPassing.POLLFD_REVENTS) & FdPassing.POLLIN) != 0) {
                return 0;
            }
            if (fds.getShort(FdPassing.POLLFD_SIZE + FdPassing.POLLFD_REVENTS) != 0) {
                return 1;
            }
        }
    }

    /** Stops the watch and closes the connection (a handler ends when its VMM has gone). */
    @Override
    public synchronized void close() {
        stop.write(1);
        if (watcher != null && watcher != Thread.currentThread()) {
            try {
                watcher.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Native.LIBC.close(socket);
        stop.close();
    }
}
