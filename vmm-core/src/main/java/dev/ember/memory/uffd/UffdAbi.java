package dev.ember.memory.uffd;

import dev.ember.kvm.Ioctl;

/**
 * The userfaultfd ABI of {@code <linux/userfaultfd.h>} that Ember uses, declared once: ioctl
 * numbers, flags, events and the offsets of {@code uffdio_api}, {@code uffdio_range},
 * {@code uffdio_register}, {@code uffdio_copy}, {@code uffdio_zeropage} and {@code uffd_msg}
 * (UffdAbiTest compares every one with the header, compiled by gcc).
 */
public final class UffdAbi {
    private UffdAbi() {}

    /** The ioctl type byte of every UFFDIO_* request and of /dev/userfaultfd's USERFAULTFD_IOC_NEW. */
    static final int UFFDIO = 0xAA;
    private static final int NONE = 0, WRITE = 1, READ = 2;

    public static final long SYS_USERFAULTFD = 323;
    public static final long SYS_PIDFD_OPEN = 434;
    public static final String DEVICE = "/dev/userfaultfd";

    public static final long UFFD_API = 0xAA;
    public static final long UFFD_USER_MODE_ONLY = 1;
    public static final long UFFD_FEATURE_EVENT_REMOVE = 1L << 3;

    public static final long UFFDIO_REGISTER_MODE_MISSING = 1;
    public static final long UFFDIO_COPY_MODE_DONTWAKE = 1;
    public static final long UFFDIO_ZEROPAGE_MODE_DONTWAKE = 1;
    /** Bit numbers in uffdio_register.ioctls: which resolving ioctls the registered range takes. */
    public static final int BIT_UFFDIO_COPY = 0x03, BIT_UFFDIO_ZEROPAGE = 0x04;

    public static final int UFFD_EVENT_PAGEFAULT = 0x12, UFFD_EVENT_FORK = 0x13, UFFD_EVENT_REMAP = 0x14,
            UFFD_EVENT_REMOVE = 0x15, UFFD_EVENT_UNMAP = 0x16;
    public static final long UFFD_PAGEFAULT_FLAG_WRITE = 1;

    /** struct uffdio_api */
    public static final int API_SIZE = 24, API_API = 0, API_FEATURES = 8, API_IOCTLS = 16;
    /** struct uffdio_range */
    public static final int RANGE_SIZE = 16, RANGE_START = 0, RANGE_LEN = 8;
    /** struct uffdio_register */
    public static final int REGISTER_SIZE = 32, REGISTER_RANGE = 0, REGISTER_MODE = 16, REGISTER_IOCTLS = 24;
    /** struct uffdio_copy */
    public static final int COPY_SIZE = 40, COPY_DST = 0, COPY_SRC = 8, COPY_LEN = 16, COPY_MODE = 24, COPY_COPY = 32;
    /** struct uffdio_zeropage */
    public static final int ZEROPAGE_SIZE = 32, ZEROPAGE_RANGE = 0, ZEROPAGE_MODE = 16, ZEROPAGE_ZEROPAGE = 24;
    /** struct uffd_msg (packed, 32 bytes): the event, then arg.pagefault or arg.remove. */
    public static final int MSG_SIZE = 32, MSG_EVENT = 0, MSG_PAGEFAULT_FLAGS = 8, MSG_PAGEFAULT_ADDRESS = 16,
            MSG_REMOVE_START = 8, MSG_REMOVE_END = 16;

    public static final long UFFDIO_API = Ioctl.ioc(READ | WRITE, UFFDIO, 0x3F, API_SIZE);
    public static final long UFFDIO_REGISTER = Ioctl.ioc(READ | WRITE, UFFDIO, 0x00, REGISTER_SIZE);
    public static final long UFFDIO_UNREGISTER = Ioctl.ioc(READ, UFFDIO, 0x01, RANGE_SIZE);
    public static final long UFFDIO_WAKE = Ioctl.ioc(READ, UFFDIO, 0x02, RANGE_SIZE);
    public static final long UFFDIO_COPY = Ioctl.ioc(READ | WRITE, UFFDIO, 0x03, COPY_SIZE);
    public static final long UFFDIO_ZEROPAGE = Ioctl.ioc(READ | WRITE, UFFDIO, 0x04, ZEROPAGE_SIZE);
    /** On /dev/userfaultfd: a new userfaultfd, its flags (O_CLOEXEC, O_NONBLOCK) as the argument. */
    public static final long USERFAULTFD_IOC_NEW = Ioctl.ioc(NONE, UFFDIO, 0x00, 0);
}
