package dev.ember.uffd;

import static dev.ember.memory.uffd.UffdAbi.*;

import dev.ember.memory.uffd.Userfaultfd;
import dev.ember.sys.FdPassing;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import java.io.PrintStream;
import java.util.BitSet;
import java.util.List;
import dev.ember.sys.NativeMemory;

/**
 * The page-fault handler's loop: reads the userfaultfd's messages and resolves each missing page
 * from the snapshot's memory file — UFFDIO_COPY of the file's page, or UFFDIO_ZEROPAGE when the
 * page is zero in the file — and, after UFFD_EVENT_REMOVE (the balloon gave pages back with
 * MADV_DONTNEED), zero pages for the removed range from then on, as Firecracker's documentation
 * asks of a handler. Ends when the VMM's connection closes. Allocates nothing per fault; what it
 * prints is bounded (a status line at most once a second, at most {@link #WARNINGS} warnings).
 */
final class PageServer {
    private static final int BATCH = 64;
    private static final int MAX_DEFERRED = 4096;
    private static final int WARNINGS = 10;
    private static final long STATUS_INTERVAL_NANOS = 1_000_000_000L;

    private final Userfaultfd uffd;
    private final int socket;
    private final UffdMapping[] regions;
    private final SnapshotMemory file;
    private final long pageSize;
    private final PrintStream log;
    private final BitSet removed = new BitSet();
    private final long[] deferred = new long[MAX_DEFERRED];
    private int deferredCount;
    private final NativeMemory messages = Native.allocate(BATCH * MSG_SIZE);
    private final NativeMemory pollFds = Native.allocate(2 * FdPassing.POLLFD_SIZE);
    private final NativeMemory discard = Native.allocate(4096);
    /** A page of zeros to copy from where UFFDIO_ZEROPAGE does not work (hugetlbfs); 0 for 4 KiB pages. */
    private final long zeros;

    private long copied, zero, zeroAfterRemove, removeEvents, alreadyPresent, retried, unexpected, failed;
    private int warnings;
    private long lastStatusNanos;
    private String lastStatus = "";

    PageServer(Userfaultfd uffd, int socket, List<UffdMapping> regions, SnapshotMemory file, long pageSize, PrintStream log) {
        this.uffd = uffd;
        this.socket = socket;
        this.regions = regions.toArray(new UffdMapping[0]);
        this.file = file;
        this.pageSize = pageSize;
        this.log = log;
        this.zeros = pageSize == 4096 ? 0
                : Native.mmap(0, pageSize, LibC.PROT_READ, LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE, -1, 0);
        pollFds.putInt(FdPassing.POLLFD_FD, uffd.fd());
        pollFds.putShort(FdPassing.POLLFD_EVENTS, FdPassing.POLLIN);
        pollFds.putInt(FdPassing.POLLFD_SIZE + FdPassing.POLLFD_FD, socket);
        pollFds.putShort(FdPassing.POLLFD_SIZE + FdPassing.POLLFD_EVENTS, (short) (FdPassing.POLLIN | FdPassing.POLLRDHUP));
    }

    /** Serves faults until the VMM closes its end of the connection. */
    void run() {
        while (true) {
            int n = Native.LIBC.poll(pollFds.address(), 2, deferredCount > 0 ? 1 : 1000);
            if (n < 0 && Native.errno() != LibC.EINTR) {
                throw new IllegalStateException("poll: " + Native.LIBC.strerror(Native.errno()));
            }
            short peer = pollFds.getShort(FdPassing.POLLFD_SIZE + FdPassing.POLLFD_REVENTS);
            if ((pollFds.getShort(FdPassing.POLLFD_REVENTS) & FdPassing.POLLIN) != 0 || deferredCount > 0) {
                drain();
            }
            if (peer != 0 && vmmGone(peer)) {
                status(true);
                return;
            }
            status(false);
        }
    }

    private boolean vmmGone(short revents) {
        if ((revents & (FdPassing.POLLHUP | FdPassing.POLLRDHUP | FdPassing.POLLERR | FdPassing.POLLNVAL)) != 0) {
            return true;
        }
        // The protocol has nothing after the mappings: bytes are read and dropped, end of stream is the VMM's end.
        return Native.LIBC.read(socket, discard.address(), 4096) == 0;
    }

    private void drain() {
        for (int k; (k = uffd.read(messages.address(), BATCH)) > 0;) {
            for (int i = 0; i < k; i++) {
                long m = i * (long) MSG_SIZE;
                int event = messages.getByte(m + MSG_EVENT) & 0xff;
                if (event == UFFD_EVENT_PAGEFAULT) {
                    serve(messages.getLong(m + MSG_PAGEFAULT_ADDRESS), true);
                } else if (event == UFFD_EVENT_REMOVE) {
                    markRemoved(messages.getLong(m + MSG_REMOVE_START), messages.getLong(m + MSG_REMOVE_END));
                } else {
                    unexpected++;
                    warn("an event this handler did not ask for: 0x" + Integer.toHexString(event));
                }
            }
            if (k < BATCH) {
                break;
            }
        }
        int retry = deferredCount;
        deferredCount = 0;
        for (int i = 0; i < retry; i++) {
            retried++;
            serve(deferred[i], false);
        }
    }

    private void markRemoved(long start, long end) {
        removeEvents++;
        for (UffdMapping r : regions) {
            long from = Math.max(start, r.baseHostVirtAddr()), to = Math.min(end, r.baseHostVirtAddr() + r.size());
            if (from < to) {
                long first = (r.offset() + from - r.baseHostVirtAddr()) / pageSize;
                long last = (r.offset() + to - r.baseHostVirtAddr() + pageSize - 1) / pageSize;
                removed.set((int) first, (int) last);
            }
        }
    }

    private void serve(long address, boolean fresh) {
        long page = address & -pageSize;
        UffdMapping r = null;
        for (UffdMapping candidate : regions) {
            if (candidate.contains(page)) {
                r = candidate;
                break;
            }
        }
        if (r == null) {
            failed++;
            warn("a fault at 0x" + Long.toHexString(address) + " outside every region the VMM sent");
            return;
        }
        long offset = r.offset() + page - r.baseHostVirtAddr();
        long rc;
        int kind;
        if (removed.get((int) (offset / pageSize))) {
            rc = zeroFill(page);
            kind = 2;
        } else if (file.isZero(offset)) {
            rc = zeroFill(page);
            kind = 1;
        } else {
            rc = uffd.copy(page, file.address(offset), pageSize);
            kind = 0;
        }
        if (rc == -LibC.EAGAIN) {
            // A REMOVE is queued behind this fault: read it first, then serve the page again.
            if (deferredCount < MAX_DEFERRED) {
                deferred[deferredCount++] = page;
            } else {
                failed++;
                warn("more than " + MAX_DEFERRED + " faults waiting for a retry");
            }
        } else if (rc == -LibC.EEXIST) {
            alreadyPresent++;
        } else if (rc < 0) {
            failed++;
            warn("resolving the fault at 0x" + Long.toHexString(address) + " failed: " + Native.LIBC.strerror((int) -rc));
        } else if (kind == 0) {
            copied++;
        } else if (kind == 1) {
            zero++;
        } else {
            zeroAfterRemove++;
        }
    }

    private long zeroFill(long page) {
        return zeros == 0 ? uffd.zeroPage(page, pageSize) : uffd.copy(page, zeros, pageSize);
    }

    private void warn(String what) {
        if (warnings < WARNINGS) {
            log.println("ember-uffd-handler: " + what);
        } else if (warnings == WARNINGS) {
            log.println("ember-uffd-handler: further warnings are not printed (the status line counts them)");
        }
        warnings++;
    }

    /** The counts, when they changed and at most once a second; {@code last} prints them anyway. */
    private void status(boolean last) {
        long now = System.nanoTime();
        if (!last && now - lastStatusNanos < STATUS_INTERVAL_NANOS) {
            return;
        }
        String s = String.format("%d pages copied from the file (%d KiB), %d zero pages, %d zero pages after a remove,"
                + " %d remove events, %d already present, %d retried, %d unexpected events, %d failed",
                copied, copied * pageSize >> 10, zero, zeroAfterRemove, removeEvents, alreadyPresent, retried, unexpected, failed);
        if (last || !s.equals(lastStatus)) {
            log.println("ember-uffd-handler: " + (last ? "the VMM has gone; served " : "served ") + s);
            lastStatus = s;
            lastStatusNanos = now;
        }
    }
}
