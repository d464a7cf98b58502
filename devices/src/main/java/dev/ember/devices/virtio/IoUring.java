package dev.ember.devices.virtio;

import static dev.ember.devices.virtio.IoUringAbi.*;

import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import java.lang.invoke.VarHandle;
import dev.ember.sys.NativeMemory;

/**
 * One io_uring instance driven through raw system calls (no liburing): the SQ and CQ rings and
 * the SQE array are mmap'd and read/written in place. Single-threaded: one owner (the event
 * loop) prepares, submits and reaps. At most {@link #capacity()} requests are queued or in
 * flight at once, so the completion ring (twice as large) can never overflow; a full ring
 * refuses new requests ({@link #prepareReadv} etc. return false) until completions are reaped.
 * Nothing here allocates after construction.
 */
final class IoUring implements AutoCloseable {
    /** Called per completion with the request's user data and its result (bytes, or -errno). */
    interface CompletionHandler {
        void onCompletion(long userData, int result);
    }

    private final int ringFd;
    private final int entries;
    private final long sqRingAddr, sqRingLen, cqRingAddr, cqRingLen, sqesAddr, sqesLen;
    private final NativeMemory sq, cq, sqes;
    private final int sqHeadOff, sqTailOff, sqMask, sqArrayOff;
    private final int cqHeadOff, cqTailOff, cqMask, cqesOff;
    private int sqTail;
    private int unsubmitted;
    private int outstanding;
    private boolean closed;

    private IoUring(int ringFd, int entries, NativeMemory params) {
        this.ringFd = ringFd;
        this.entries = params.getInt(PARAMS_SQ_ENTRIES);
        int cqEntries = params.getInt(PARAMS_CQ_ENTRIES);
        int features = params.getInt(PARAMS_FEATURES);
        sqHeadOff = params.getInt(PARAMS_SQ_OFF + SQOFF_HEAD);
        sqTailOff = params.getInt(PARAMS_SQ_OFF + SQOFF_TAIL);
        sqArrayOff = params.getInt(PARAMS_SQ_OFF + SQOFF_ARRAY);
        cqHeadOff = params.getInt(PARAMS_CQ_OFF + CQOFF_HEAD);
        cqTailOff = params.getInt(PARAMS_CQ_OFF + CQOFF_TAIL);
        cqesOff = params.getInt(PARAMS_CQ_OFF + CQOFF_CQES);
        long sqLen = sqArrayOff + (long) this.entries * 4;
        long cqLen = cqesOff + (long) cqEntries * CQE_SIZE;
        boolean single = (features & IORING_FEAT_SINGLE_MMAP) != 0;
        if (single) {
            sqLen = cqLen = Math.max(sqLen, cqLen);
        }
        sqRingLen = sqLen;
        sqRingAddr = map(sqLen, IORING_OFF_SQ_RING);
        cqRingLen = single ? 0 : cqLen;
        cqRingAddr = single ? sqRingAddr : map(cqLen, IORING_OFF_CQ_RING);
        sqesLen = (long) this.entries * SQE_SIZE;
        sqesAddr = map(sqesLen, IORING_OFF_SQES);
        sq = NativeMemory.view(sqRingAddr, sqLen);
        cq = NativeMemory.view(cqRingAddr, cqLen);
        sqes = NativeMemory.view(sqesAddr, sqesLen);
        sqMask = sq.getInt(params.getInt(PARAMS_SQ_OFF + SQOFF_RING_MASK));
        cqMask = cq.getInt(params.getInt(PARAMS_CQ_OFF + CQOFF_RING_MASK));
        sqTail = sq.getInt(sqTailOff);
    }

    private long map(long len, long offset) {
        long a = Native.mmap(0, len, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED | LibC.MAP_POPULATE, ringFd, offset);
        if (a == -1L) {
            int errno = Native.errno();
            throw new IoUringException("mmap of the io_uring ring at offset 0x" + Long.toHexString(offset), errno);
        }
        return a;
    }

    /**
     * Sets up a ring of {@code entries} submission slots (a power of two up to 4096).
     *
     * @throws IoUringException with the errno when the kernel refuses (ENOSYS: no io_uring;
     *                          EPERM: disabled by {@code kernel.io_uring_disabled} or seccomp)
     */
    static IoUring create(int entries) {
        NativeMemory params = Native.allocate(PARAMS_SIZE);
        long fd = Native.LIBC.syscall(SYS_IO_URING_SETUP, entries, params.address(), 0);
        if (fd < 0) {
            throw new IoUringException("io_uring_setup", Native.errno());
        }
        try {
            return new IoUring((int) fd, entries, params);
        } catch (RuntimeException e) {
            Native.LIBC.close((int) fd);
            throw e;
        }
    }

    /** Most requests queued or in flight at once. */
    int capacity() {
        return entries;
    }

    /** Requests prepared and not yet reaped. */
    int outstanding() {
        return outstanding;
    }

    boolean full() {
        return outstanding >= entries;
    }

    /** Completions of this ring signal {@code eventFd} (IORING_REGISTER_EVENTFD). */
    void registerEventFd(int eventFd) {
        NativeMemory arg = Native.allocate(4);
        arg.putInt(0, eventFd);
        if (Native.LIBC.syscall(SYS_IO_URING_REGISTER, ringFd, IORING_REGISTER_EVENTFD, arg.address(), 1, 0, 0) < 0) {
            throw new IoUringException("io_uring_register(IORING_REGISTER_EVENTFD)", Native.errno());
        }
    }

    /**
     * Queues readv(fd, iov, iovCount) at {@code offset}; false when the ring is full.
     *
     * @param offload run it on the kernel's io-wq worker threads (IOSQE_ASYNC) instead of
     *                inside io_uring_enter: a read the page cache can serve otherwise completes
     *                during the submitting call, one after another, on the submitting thread
     */
    boolean prepareReadv(int fd, long iov, int iovCount, long offset, long userData, boolean offload) {
        return prepare(IORING_OP_READV, offload ? IOSQE_ASYNC : 0, fd, iov, iovCount, offset, userData);
    }

    boolean prepareReadv(int fd, long iov, int iovCount, long offset, long userData) {
        return prepareReadv(fd, iov, iovCount, offset, userData, false);
    }

    /** As {@link #prepareReadv(int, long, int, long, long, boolean)}, for writev. */
    boolean prepareWritev(int fd, long iov, int iovCount, long offset, long userData, boolean offload) {
        return prepare(IORING_OP_WRITEV, offload ? IOSQE_ASYNC : 0, fd, iov, iovCount, offset, userData);
    }

    boolean prepareWritev(int fd, long iov, int iovCount, long offset, long userData) {
        return prepareWritev(fd, iov, iovCount, offset, userData, false);
    }

    /**
     * Queues fsync(fd) that starts only once every request submitted before it has completed
     * (IOSQE_IO_DRAIN), so a flush covers every earlier write.
     */
    boolean prepareFsyncAfterPrevious(int fd, long userData) {
        return prepare(IORING_OP_FSYNC, IOSQE_IO_DRAIN, fd, 0, 0, 0, userData);
    }

    boolean prepareNop(long userData) {
        return prepare(IORING_OP_NOP, 0, -1, 0, 0, 0, userData);
    }

    private boolean prepare(int op, int flags, int fd, long addr, int len, long offset, long userData) {
        if (full()) {
            return false;
        }
        int index = sqTail & sqMask;
        long s = (long) index * SQE_SIZE;
        sqes.putByte(s + SQE_OPCODE, (byte) op);
        sqes.putByte(s + SQE_FLAGS, (byte) flags);
        sqes.putShort(s + SQE_IOPRIO, (short) 0);
        sqes.putInt(s + SQE_FD, fd);
        sqes.putLong(s + SQE_OFF, offset);
        sqes.putLong(s + SQE_ADDR, addr);
        sqes.putInt(s + SQE_LEN, len);
        sqes.putInt(s + SQE_RW_FLAGS, 0);
        sqes.putLong(s + SQE_USER_DATA, userData);
        sqes.putLong(s + 40, 0); // buf_index, personality, splice_fd_in
        sqes.putLong(s + 48, 0); // addr3
        sqes.putLong(s + 56, 0);
        sq.putInt(sqArrayOff + 4L * index, index);
        sqTail++;
        VarHandle.releaseFence(); // the SQE is complete before the kernel can see the new tail
        sq.putInt(sqTailOff, sqTail);
        unsubmitted++;
        outstanding++;
        return true;
    }

    /**
     * Hands every queued SQE to the kernel (io_uring_enter). Returns how many the kernel took,
     * or -errno; what it did not take stays queued for the next call.
     */
    int submit() {
        return enter(0, 0);
    }

    /** Submits what is queued and blocks until at least {@code min} completions are ready. */
    int submitAndWait(int min) {
        return enter(min, IORING_ENTER_GETEVENTS);
    }

    private int enter(int min, int flags) {
        if (unsubmitted == 0 && min == 0) {
            return 0;
        }
        while (true) {
            // Without GETEVENTS the kernel never reads the signal-mask arguments, so the
            // four-argument form (jffi's direct call; seven C arguments go through libffi) serves
            // the hot submit path.
            long rc = (flags & IORING_ENTER_GETEVENTS) == 0
                    ? Native.LIBC.syscall(SYS_IO_URING_ENTER, ringFd, unsubmitted, 0, 0)
                    : Native.LIBC.syscall(SYS_IO_URING_ENTER, ringFd, unsubmitted, min, flags, 0, 0);
            if (rc >= 0) {
                unsubmitted -= (int) rc;
                return (int) rc;
            }
            int errno = Native.errno();
            if (errno != LibC.EINTR) {
                return -errno;
            }
        }
    }

    /** Calls {@code handler} for each completion ready now; returns how many. */
    int reap(CompletionHandler handler) {
        int head = cq.getInt(cqHeadOff);
        int n = 0;
        while (true) {
            int tail = cq.getInt(cqTailOff);
            VarHandle.acquireFence(); // CQE contents are read after the tail that published them
            if (head == tail) {
                break;
            }
            long c = cqesOff + (long) (head & cqMask) * CQE_SIZE;
            long userData = cq.getLong(c + CQE_USER_DATA);
            int res = cq.getInt(c + CQE_RES);
            head++;
            VarHandle.releaseFence(); // done reading the CQE before the kernel may reuse it
            cq.putInt(cqHeadOff, head);
            outstanding--;
            n++;
            handler.onCompletion(userData, res);
        }
        return n;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Native.LIBC.munmap(sqesAddr, sqesLen);
        if (cqRingLen != 0) {
            Native.LIBC.munmap(cqRingAddr, cqRingLen);
        }
        Native.LIBC.munmap(sqRingAddr, sqRingLen);
        Native.LIBC.close(ringFd);
    }
}
