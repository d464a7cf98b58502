package dev.ember.devices.virtio;

import dev.ember.eventloop.EventFd;
import dev.ember.eventloop.EventLoop;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;

/**
 * The {@code Async} block engine: reads, writes and flushes of one virtio-blk queue go to an
 * io_uring, up to {@link #DEPTH} at once, and complete in whatever order the kernel finishes
 * them. The ring signals an eventfd (IORING_REGISTER_EVENTFD) watched by the device's event
 * loop, which reaps completions and hands them to {@link Completions}. Per-request state lives
 * in preallocated slot arrays; the slot index is the SQE's user data. Nothing allocates per
 * request. Event-loop thread only.
 */
final class BlockIoUring implements AutoCloseable {
    /** Requests in flight per queue (also the ring's size). */
    static final int DEPTH = 128;
    /**
     * Transfers of at least this many bytes run on the kernel's io-wq workers (IOSQE_ASYNC):
     * from the page cache io_uring would otherwise copy them inside io_uring_enter, serially on
     * the event loop, which is no faster than Sync (measured: 8 x 1 MiB cached reads ~1,000-1,200
     * MiB/s inline vs 1,000-4,100 offloaded, Sync preadv ~1,300). Smaller ones stay inline: a
     * hand-off to a worker costs more than copying a few KiB.
     */
    static final long OFFLOAD_BYTES = 64 * 1024;

    /** What the device does when a request finishes. */
    interface Completions {
        /**
         * @param head       the chain's head descriptor
         * @param statusAddr guest address of the status byte
         * @param kind       {@link #READ}, {@link #WRITE} or {@link #FLUSH}
         * @param bytes      the request's data length
         * @param error      0, or the errno of the failed read/write/fsync (-1: end of file)
         * @param startNanos System.nanoTime() when the request was taken from the queue
         */
        void complete(int head, long statusAddr, int kind, long bytes, int error, long startNanos);
    }

    static final byte READ = 0, WRITE = 1, FLUSH = 2;

    private final IoUring ring;
    private final EventFd signal;
    private final Completions completions;
    private final IoVecArray iov = new IoVecArray(DEPTH * Virtio.MAX_QUEUE_SIZE);
    private final int[] head = new int[DEPTH];
    private final long[] statusAddr = new long[DEPTH];
    private final byte[] kind = new byte[DEPTH];
    private final long[] length = new long[DEPTH];
    private final long[] fileOffset = new long[DEPTH];
    private final long[] startNanos = new long[DEPTH];
    private final int[] fd = new int[DEPTH];
    private final int[] iovFirst = new int[DEPTH];
    private final int[] iovEnd = new int[DEPTH];
    private final int[] free = new int[DEPTH];
    private int freeCount;
    private final IoUring.CompletionHandler onCqe = this::onCompletion;
    private EventLoop loop;

    /** @throws IoUringException when the host has no usable io_uring */
    BlockIoUring(Completions completions) {
        this.completions = completions;
        this.ring = IoUring.create(DEPTH);
        try {
            this.signal = EventFd.nonBlocking();
            ring.registerEventFd(signal.fd());
        } catch (RuntimeException e) {
            ring.close();
            throw e;
        }
        for (int i = 0; i < DEPTH; i++) {
            free[i] = DEPTH - 1 - i;
        }
        freeCount = DEPTH;
    }

    /** Watches the ring's completions on {@code l}; {@code afterReap} runs after each batch. */
    void attach(EventLoop l, Runnable afterReap) {
        this.loop = l;
        l.register(signal.fd(), LibC.EPOLLIN, ev -> {
            signal.read();
            reap();
            afterReap.run();
        });
    }

    boolean full() {
        return freeCount == 0;
    }

    int inFlight() {
        return DEPTH - freeCount;
    }

    /**
     * Queues a read (into the chain's writable area) or write (from its readable area after the
     * 16-byte header) of {@code len} bytes at file offset {@code offset}. Caller checked
     * {@link #full()} and the range.
     */
    void readOrWrite(boolean write, DescriptorChain c, int fileFd, long offset, long len) {
        int s = take(c, write ? WRITE : READ, len);
        int first = s * Virtio.MAX_QUEUE_SIZE;
        int n = c.toIovecs(!write, write ? 16 : 0, len, iov, first);
        fd[s] = fileFd;
        fileOffset[s] = offset;
        iovFirst[s] = first;
        iovEnd[s] = first + n;
        queueTransfer(s);
    }

    /** Queues fsync(fileFd), started only after every request queued before it completed. */
    void flush(DescriptorChain c, int fileFd) {
        int s = take(c, FLUSH, 0);
        fd[s] = fileFd;
        ring.prepareFsyncAfterPrevious(fileFd, s);
    }

    private int take(DescriptorChain c, byte k, long len) {
        int s = free[--freeCount];
        int last = c.count() - 1;
        head[s] = c.head();
        statusAddr[s] = c.address(last) + c.length(last) - 1; // the status byte ends the chain
        kind[s] = k;
        length[s] = len;
        startNanos[s] = System.nanoTime();
        return s;
    }

    private void queueTransfer(int s) {
        int first = iovFirst[s];
        int n = iovEnd[s] - first;
        boolean offload = length[s] >= OFFLOAD_BYTES;
        if (kind[s] == WRITE) {
            ring.prepareWritev(fd[s], iov.addressOf(first), n, fileOffset[s], s, offload);
        } else {
            ring.prepareReadv(fd[s], iov.addressOf(first), n, fileOffset[s], s, offload);
        }
    }

    /** Hands what was queued to the kernel; returns -errno if io_uring_enter failed. */
    int submit() {
        return ring.submit();
    }

    /** Reaps every completion ready now. */
    int reap() {
        return ring.reap(onCqe);
    }

    /**
     * Waits for every request in flight to complete and delivers them (snapshots, file swaps,
     * device reset). Blocks the calling (event-loop) thread for at most the requests' I/O time.
     */
    void drain() {
        while (inFlight() > 0) {
            int rc = ring.submitAndWait(1);
            if (rc < 0 && rc != -LibC.EAGAIN && rc != -LibC.EBUSY) {
                throw new IoUringException("io_uring_enter while draining " + inFlight() + " block requests", -rc);
            }
            reap();
        }
    }

    /** Makes the loop run its after-reap pass soon (after the current task), even with nothing to reap. */
    void wakeLater() {
        signal.write(1);
    }

    private void onCompletion(long userData, int res) {
        int s = (int) userData;
        if (res > 0 && kind[s] != FLUSH) {
            fileOffset[s] += res;
            int end = iovEnd[s];
            int next = iov.advance(iovFirst[s], end, res);
            if (next < end) {
                iovFirst[s] = next; // short transfer: the rest goes back into the ring
                queueTransfer(s);
                ring.submit();
                return;
            }
            res = 0;
        } else if (res == 0 && kind[s] != FLUSH && length[s] > 0) {
            res = -1; // end of file before the request's end: the file shrank
        } else if (res < 0) {
            res = -res;
        } else {
            res = 0;
        }
        free[freeCount++] = s;
        completions.complete(head[s], statusAddr[s], kind[s], length[s], res, startNanos[s]);
    }

    @Override
    public void close() {
        if (loop != null) {
            loop.unregister(signal.fd());
        }
        ring.close();
        signal.close();
    }

    static String errorText(int error) {
        return error == -1 ? "end of file" : Native.LIBC.strerror(error);
    }
}
