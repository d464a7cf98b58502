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
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import dev.ember.sys.NativeMemory;

/**
 * The VMM's side of the Uffd memory backend (Firecracker's protocol, docs/snapshots.md): guest
 * memory, mapped anonymous, is registered with a new userfaultfd; the VMM connects to the
 * handler's socket and sends the regions as JSON ({@link UffdMapping}) with the fd attached
 * (SCM_RIGHTS). From then on the handler serves every page the guest or the VMM touches first.
 *
 * <p>The VMM keeps its copy of the fd (as Firecracker does): were the handler's the last, its
 * death would silently turn guest memory into zero pages. It keeps the connection too, and, unlike
 * Firecracker, which hangs on the next fault, it notices when the handler is gone: {@link #watch}
 * waits for the handler's process to exit (a pidfd of the peer's pid), or, when that pid is not
 * visible here (another PID namespace), for the connection to close.
 */
public final class UffdBackend implements AutoCloseable {
    private final Path socketPath;
    private final Userfaultfd uffd;
    private final int socket;
    private final int handlerPid;
    private final List<GuestRegion> regions;
    private final EventFd stop = EventFd.nonBlocking();
    private volatile boolean handlerGone;
    private Thread watcher;

    private UffdBackend(Path socketPath, Userfaultfd uffd, int socket, int handlerPid, List<GuestRegion> regions) {
        this.socketPath = socketPath;
        this.uffd = uffd;
        this.socket = socket;
        this.handlerPid = handlerPid;
        this.regions = regions;
    }

    /**
     * Registers {@code memory} (anonymous, untouched) with a new userfaultfd and hands it to the
     * handler listening on {@code socketPath}. {@code pageSize} is the memory's page size in bytes
     * (4 KiB, or 2 MiB on hugetlbfs).
     */
    public static UffdBackend attach(Path socketPath, GuestMemory memory, long pageSize) throws UffdBackendException {
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
            socket = connect(socketPath);
            byte[] json = UffdMapping.toJson(mappings);
            long sent = FdPassing.sendWithFd(socket, json, uffd.fd());
            if (sent != json.length) {
                int e = sent < 0 ? Native.errno() : 0;
                throw new UffdBackendException(UffdBackendException.Reason.SEND, "Failed to sends file descriptor: "
                        + (sent < 0 ? Native.LIBC.strerror(e) + " (os error " + e + ")" : "only " + sent + " of " + json.length + " bytes sent"),
                        "the page-fault handler on " + socketPath + " closed the connection before taking the guest memory layout");
            }
            return new UffdBackend(socketPath, uffd, socket, FdPassing.peerPid(socket), memory.regions());
        } catch (RuntimeException e) { // UffdBackendException included
            if (socket >= 0) {
                Native.LIBC.close(socket);
            }
            uffd.close();
            throw e;
        }
    }

    private static int connect(Path path) throws UffdBackendException {
        SockaddrUn addr;
        try {
            addr = new SockaddrUn(path.toString());
        } catch (IllegalArgumentException e) {
            throw new UffdBackendException(UffdBackendException.Reason.CONNECT, "Failed to connect to UDS Unix stream: "
                    + "File name too long (os error 36)", "mem_backend.backend_path: " + e.getMessage());
        }
        int fd = Native.LIBC.socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0 || Native.LIBC.connect(fd, addr.address(), addr.length()) < 0) {
            int e = Native.errno();
            if (fd >= 0) {
                Native.LIBC.close(fd);
            }
            String hint = switch (e) {
                case LibC.ENOENT -> "mem_backend.backend_path " + path + " does not exist: start the page-fault handler"
                        + " (e.g. bin/ember-uffd-handler " + path + " MEMORY_FILE) before loading the snapshot";
                case LibC.ECONNREFUSED -> "nothing listens on mem_backend.backend_path " + path
                        + " (a stale socket file, or the handler has not called listen yet)";
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
     * Starts a thread that calls {@code onGone} once, with a description, when the handler has
     * gone: it first wakes every thread waiting for a page ({@link #releaseWaiters}), so no
     * thread of this process stays blocked on memory nobody will serve.
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
        NativeMemory fds = Native.allocate(2 * FdPassing.POLLFD_SIZE);
        fds.putInt(FdPassing.POLLFD_FD, stop.fd());
        fds.putShort(FdPassing.POLLFD_EVENTS, FdPassing.POLLIN);
        // Process exit when its pid is known; otherwise the connection's end (the handler keeps it open while it serves).
        fds.putInt(FdPassing.POLLFD_SIZE + FdPassing.POLLFD_FD, pidfd >= 0 ? pidfd : socket);
        fds.putShort(FdPassing.POLLFD_SIZE + FdPassing.POLLFD_EVENTS, pidfd >= 0 ? FdPassing.POLLIN : FdPassing.POLLRDHUP);
        String what = pidfd >= 0 ? "exited" : "closed its connection";
        try {
            while (true) {
                int n = Native.LIBC.poll(fds.address(), 2, -1);
                if (n < 0 && Native.errno() == LibC.EINTR) {
                    continue;
                }
                if (n < 0 || (fds.getShort(FdPassing.POLLFD_REVENTS) & FdPassing.POLLIN) != 0) {
                    return; // closed here
                }
                if (fds.getShort(FdPassing.POLLFD_SIZE + FdPassing.POLLFD_REVENTS) != 0) {
                    break;
                }
            }
        } finally {
            if (pidfd >= 0) {
                Native.LIBC.close(pidfd);
            }
        }
        handlerGone = true;
        releaseWaiters();
        onGone.accept("the page-fault handler on mem_backend.backend_path " + socketPath
                + (handlerPid > 0 ? " (pid " + handlerPid + ")" : "") + " " + what
                + ": guest memory it had not served yet can no longer be loaded");
    }

    /**
     * Unregisters guest memory: every thread waiting for a page is woken, and from now on a page
     * the handler never served reads as zero. Only for a VM that is being stopped.
     */
    public void releaseWaiters() {
        for (GuestRegion r : regions) {
            uffd.unregister(r.hostAddress(), r.size());
        }
    }

    /** After guest memory was unmapped: stops the watch, closes the connection and the fd. */
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
        uffd.close();
        stop.close();
    }
}
