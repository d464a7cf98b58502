package dev.ember.memory.uffd;

import static dev.ember.memory.uffd.UffdAbi.*;

import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import dev.ember.sys.NativeMemory;

/**
 * A userfaultfd (userfaultfd(2)): page faults in the ranges registered with it are not served
 * by the kernel but queued as messages for whoever holds the fd, who resolves them with
 * {@link #copy} or {@link #zeroPage}. The VMM creates and registers one for a snapshot loaded
 * with the Uffd memory backend and hands it to the page-fault handler; the handler
 * {@link #adopt}s the fd it received.
 *
 * <p>The ioctl argument block is allocated once; calls are serialised on this object, and none
 * allocates.
 */
public final class Userfaultfd implements AutoCloseable {
    private final int fd;
    private final NativeMemory arg = Native.allocate(48);
    private boolean closed;

    private Userfaultfd(int fd) {
        this.fd = fd;
    }

    /**
     * A new, non-blocking, close-on-exec userfaultfd that also reports kernel-mode faults (KVM's
     * accesses to guest memory are those), with {@code features} negotiated by UFFDIO_API.
     * Firecracker's way: {@code /dev/userfaultfd} when it is there and open to us (kernel 6.1+,
     * the jail's way), otherwise the system call, which an unprivileged process may only use with
     * {@code vm.unprivileged_userfaultfd=1}.
     */
    public static Userfaultfd open(long features) throws UserfaultfdException {
        int flags = LibC.O_CLOEXEC | LibC.O_NONBLOCK;
        int fd = -1;
        int deviceErrno = 0;
        int dev = Native.LIBC.open(DEVICE, LibC.O_RDWR | LibC.O_CLOEXEC, 0);
        if (dev >= 0) {
            fd = Native.LIBC.ioctl(dev, USERFAULTFD_IOC_NEW, flags);
            deviceErrno = fd < 0 ? Native.errno() : 0;
            Native.LIBC.close(dev);
        } else {
            deviceErrno = Native.errno();
        }
        if (fd < 0) {
            fd = (int) Native.LIBC.syscall(SYS_USERFAULTFD, flags, 0, 0);
            if (fd < 0) {
                int e = Native.errno();
                if (e == LibC.ENOSYS) {
                    throw new UserfaultfdException(UserfaultfdException.Reason.UNSUPPORTED,
                            "this kernel offers no userfaultfd (CONFIG_USERFAULTFD)", e);
                }
                throw new UserfaultfdException(UserfaultfdException.Reason.NOT_PERMITTED,
                        "cannot create a userfaultfd: " + DEVICE + " "
                                + (deviceErrno == LibC.ENOENT ? "does not exist" : "cannot be used (" + Native.LIBC.strerror(deviceErrno) + ")")
                                + " and the userfaultfd system call was refused (give this user read-write access to "
                                + DEVICE + ", or set sysctl vm.unprivileged_userfaultfd=1)", e);
            }
        }
        Userfaultfd u = new Userfaultfd(fd);
        try {
            u.api(features);
        } catch (UserfaultfdException e) {
            u.close();
            throw e;
        }
        return u;
    }

    /** A userfaultfd received from another process (already through UFFDIO_API there). */
    public static Userfaultfd adopt(int fd) {
        if (fd < 0) {
            throw new IllegalArgumentException("fd " + fd);
        }
        return new Userfaultfd(fd);
    }

    public int fd() {
        return fd;
    }

    private synchronized void api(long features) throws UserfaultfdException {
        arg.putLong(API_API, UFFD_API);
        arg.putLong(API_FEATURES, features);
        arg.putLong(API_IOCTLS, 0);
        if (Native.LIBC.ioctl(fd, UFFDIO_API, arg.address()) < 0) {
            throw new UserfaultfdException(UserfaultfdException.Reason.FEATURES,
                    "UFFDIO_API refused the features 0x" + Long.toHexString(features) + " (UFFD_FEATURE_EVENT_REMOVE)", Native.errno());
        }
    }

    /**
     * Registers {@code [address, address+length)} for missing-page faults. Fails unless the kernel
     * lets the range be resolved with UFFDIO_COPY (it does for anonymous and hugetlbfs memory).
     */
    public synchronized void register(long address, long length) throws UserfaultfdException {
        arg.putLong(REGISTER_RANGE + RANGE_START, address);
        arg.putLong(REGISTER_RANGE + RANGE_LEN, length);
        arg.putLong(REGISTER_MODE, UFFDIO_REGISTER_MODE_MISSING);
        arg.putLong(REGISTER_IOCTLS, 0);
        if (Native.LIBC.ioctl(fd, UFFDIO_REGISTER, arg.address()) < 0) {
            throw new UserfaultfdException(UserfaultfdException.Reason.REGISTER, "UFFDIO_REGISTER of " + (length >> 10)
                    + " KiB at 0x" + Long.toHexString(address), Native.errno());
        }
        if ((arg.getLong(REGISTER_IOCTLS) & (1L << BIT_UFFDIO_COPY)) == 0) {
            throw new UserfaultfdException(UserfaultfdException.Reason.REGISTER, "the range at 0x" + Long.toHexString(address)
                    + " was registered without UFFDIO_COPY (ioctls 0x" + Long.toHexString(arg.getLong(REGISTER_IOCTLS)) + ")", 0);
        }
    }

    /**
     * Unregisters the range: faults there are the kernel's again (anonymous memory: zero pages),
     * and every thread waiting for a page in it is woken. Returns false with errno on failure.
     */
    public synchronized boolean unregister(long address, long length) {
        if (closed) {
            return false;
        }
        arg.putLong(RANGE_START, address);
        arg.putLong(RANGE_LEN, length);
        return Native.LIBC.ioctl(fd, UFFDIO_UNREGISTER, arg.address()) == 0;
    }

    /**
     * UFFDIO_COPY: fills the missing pages at {@code dst} with {@code length} bytes from
     * {@code src} (this process's memory) and wakes the threads waiting for them. Returns the
     * bytes copied, or a negative errno: -EEXIST when a page was already there, -EAGAIN when the
     * range changed under us (read the pending events, then retry).
     */
    public synchronized long copy(long dst, long src, long length) {
        arg.putLong(COPY_DST, dst);
        arg.putLong(COPY_SRC, src);
        arg.putLong(COPY_LEN, length);
        arg.putLong(COPY_MODE, 0);
        return resolve(UFFDIO_COPY, COPY_COPY);
    }

    /** UFFDIO_ZEROPAGE: maps zero pages at {@code dst} and wakes the waiters; results as {@link #copy}. */
    public synchronized long zeroPage(long dst, long length) {
        arg.putLong(ZEROPAGE_RANGE + RANGE_START, dst);
        arg.putLong(ZEROPAGE_RANGE + RANGE_LEN, length);
        arg.putLong(ZEROPAGE_MODE, 0);
        return resolve(UFFDIO_ZEROPAGE, ZEROPAGE_ZEROPAGE);
    }

    /** Issues a resolving ioctl whose argument is set up; the kernel reports bytes done (or -errno) at {@code result}. */
    private long resolve(long request, int result) {
        arg.putLong(result, 0);
        if (Native.LIBC.ioctl(fd, request, arg.address()) < 0) {
            long done = arg.getLong(result);
            return done > 0 ? done : -Native.errno();
        }
        return arg.getLong(result);
    }

    /**
     * Reads pending messages ({@link UffdAbi#MSG_SIZE} bytes each) into {@code buffer}; returns
     * how many, 0 when none is pending, or a negative errno.
     */
    public int read(long buffer, int maxMessages) {
        long n = Native.LIBC.read(fd, buffer, (long) maxMessages * MSG_SIZE);
        if (n < 0) {
            int e = Native.errno();
            return e == LibC.EAGAIN ? 0 : -e;
        }
        return (int) (n / MSG_SIZE);
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Native.LIBC.close(fd);
        }
    }
}
