package dev.ember.uffd;

import dev.ember.memory.uffd.Userfaultfd;
import dev.ember.sys.FdPassing;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import dev.ember.sys.SockaddrUn;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import dev.ember.sys.NativeMemory;

/**
 * {@code bin/ember-uffd-handler SOCKET MEMORY_FILE}: Ember's example page-fault handler for
 * {@code PUT /snapshot/load} with {@code mem_backend: {"backend_type": "Uffd", "backend_path":
 * SOCKET}} (docs/snapshots.md). It listens on SOCKET, takes one VMM's connection, the guest
 * memory layout and the userfaultfd, and serves each page the VMM or its guest touches from
 * MEMORY_FILE (the snapshot's {@code mem_file_path}) until that VMM goes away. Works with
 * Firecracker as well: the protocol is Firecracker's.
 */
public final class UffdHandlerMain {
    static final String USAGE = "usage: ember-uffd-handler [--accept-timeout SECONDS] SOCKET MEMORY_FILE";
    private static final int MESSAGE_TIMEOUT_MS = 10_000;

    private UffdHandlerMain() {}

    public static void main(String[] args) {
        System.exit(run(args, System.err));
    }

    /** The process status: 0 once the VMM went away, 1 when serving failed, 2 for bad arguments. */
    static int run(String[] args, PrintStream log) {
        int acceptTimeoutS = 600;
        int i = 0;
        if (args.length > 0 && (args[0].equals("-h") || args[0].equals("--help"))) {
            log.println(USAGE);
            return 0;
        }
        if (args.length >= 2 && args[0].equals("--accept-timeout")) {
            try {
                acceptTimeoutS = Integer.parseInt(args[1]);
            } catch (NumberFormatException e) {
                acceptTimeoutS = -1;
            }
            if (acceptTimeoutS <= 0 || acceptTimeoutS > 86_400) {
                log.println("ember-uffd-handler: --accept-timeout takes 1..86400 seconds, not " + args[1] + "\n" + USAGE);
                return 2;
            }
            i = 2;
        }
        if (args.length - i != 2) {
            log.println("ember-uffd-handler: give the socket to listen on and the snapshot's memory file\n" + USAGE);
            return 2;
        }
        Path socketPath = Path.of(args[i]);
        String memPath = args[i + 1];
        if (!Files.isRegularFile(Path.of(memPath)) || !Files.isReadable(Path.of(memPath))) {
            log.println("ember-uffd-handler: memory file " + memPath + " is not a readable file");
            return 2;
        }
        if (Files.exists(socketPath, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            log.println("ember-uffd-handler: " + socketPath + " exists; remove it or give another path");
            return 2;
        }
        try {
            serve(socketPath, memPath, acceptTimeoutS, log);
            return 0;
        } catch (IllegalArgumentException | IllegalStateException e) {
            log.println("ember-uffd-handler: " + e.getMessage());
            return 1;
        }
    }

    private static void serve(Path socketPath, String memPath, int acceptTimeoutS, PrintStream log) {
        int conn = acceptOne(socketPath, acceptTimeoutS, log);
        try {
            if (!await(conn, MESSAGE_TIMEOUT_MS)) {
                throw new IllegalStateException("the VMM connected but sent no guest memory layout within "
                        + MESSAGE_TIMEOUT_MS / 1000 + " s");
            }
            FdPassing.Received got = FdPassing.receiveWithFd(conn, UffdMapping.MAX_MESSAGE_BYTES);
            if (got == null) {
                throw new IllegalStateException("receiving the guest memory layout: " + Native.LIBC.strerror(Native.errno()));
            }
            if (got.fd() < 0) {
                throw new IllegalStateException("the VMM's message carried no userfaultfd (" + got.data().length + " bytes)");
            }
            try (Userfaultfd uffd = Userfaultfd.adopt(got.fd())) {
                List<UffdMapping> regions = UffdMapping.parse(got.data());
                long pageSize = regions.get(0).pageSize();
                long total = 0;
                for (UffdMapping r : regions) {
                    if (r.pageSize() != pageSize) {
                        throw new IllegalArgumentException("the regions have different page sizes: " + regions);
                    }
                    total += r.size();
                }
                try (SnapshotMemory file = SnapshotMemory.map(memPath, pageSize)) {
                    if (total != file.size()) {
                        throw new IllegalArgumentException("the VMM's guest memory is " + total + " bytes but " + memPath + " holds "
                                + file.size() + ": is it the snapshot's memory file?");
                    }
                    for (UffdMapping r : regions) {
                        if (r.offset() + r.size() > file.size()) {
                            throw new IllegalArgumentException("a region reaches past the end of " + memPath + " (" + file.size()
                                    + " bytes): " + r);
                        }
                    }
                    int vmm = FdPassing.peerPid(conn);
                    log.println("ember-uffd-handler: serving " + (total >> 20) + " MiB in " + regions.size() + " region(s), page size "
                            + (pageSize >> 10) + " KiB, to the VMM" + (vmm > 0 ? " (pid " + vmm + ")" : "") + " from " + memPath
                            + " (" + (file.dataBytes() >> 10) + " KiB of it hold data)");
                    new PageServer(uffd, conn, regions, file, pageSize, log).run();
                }
            }
        } finally {
            Native.LIBC.close(conn);
        }
    }

    /** Listens on {@code path}, accepts one connection, and removes the socket file (one VMM per handler). */
    private static int acceptOne(Path path, int timeoutS, PrintStream log) {
        SockaddrUn addr = new SockaddrUn(path.toString());
        int listener = Native.check(Native.LIBC.socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0), "socket");
        try {
            if (Native.LIBC.bind(listener, addr.address(), addr.length()) < 0 || Native.LIBC.listen(listener, 1) < 0) {
                throw new IllegalStateException("cannot listen on " + path + ": " + Native.LIBC.strerror(Native.errno()));
            }
            log.println("ember-uffd-handler: listening on " + path);
            try {
                if (!await(listener, timeoutS * 1000)) {
                    throw new IllegalStateException("no VMM connected to " + path + " within " + timeoutS + " s");
                }
                int conn = Native.LIBC.accept4(listener, 0, 0, LibC.SOCK_CLOEXEC);
                if (conn < 0) {
                    throw new IllegalStateException("accept on " + path + ": " + Native.LIBC.strerror(Native.errno()));
                }
                return conn;
            } finally {
                Native.LIBC.unlink(path.toString());
            }
        } finally {
            Native.LIBC.close(listener);
        }
    }

    /** Waits until {@code fd} is readable (or its peer hung up); false after {@code timeoutMs}. */
    private static boolean await(int fd, int timeoutMs) {
        NativeMemory p = Native.allocate(FdPassing.POLLFD_SIZE);
        p.putInt(FdPassing.POLLFD_FD, fd);
        p.putShort(FdPassing.POLLFD_EVENTS, FdPassing.POLLIN);
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (true) {
            int left = (int) Math.max(0, (deadline - System.nanoTime()) / 1_000_000L);
            int n = Native.LIBC.poll(p.address(), 1, left);
            if (n > 0) {
                return true;
            }
            if (n == 0 || Native.errno() != LibC.EINTR) {
                return false;
            }
        }
    }
}
