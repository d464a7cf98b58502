package dev.ember.devices.virtio;

/**
 * The io_uring kernel ABI on x86_64, declared once: system call numbers, constants, and the
 * offsets of every struct the kernel reads or writes ({@code io_uring_params} with its
 * {@code io_sqring_offsets}/{@code io_cqring_offsets}, {@code io_uring_sqe},
 * {@code io_uring_cqe}). {@code IoUringAbiTest} checks each against {@code <linux/io_uring.h>}.
 */
final class IoUringAbi {
    private IoUringAbi() {}

    static final long SYS_IO_URING_SETUP = 425, SYS_IO_URING_ENTER = 426, SYS_IO_URING_REGISTER = 427;

    static final int IORING_ENTER_GETEVENTS = 1;
    static final int IORING_REGISTER_EVENTFD = 4;
    static final long IORING_OFF_SQ_RING = 0L, IORING_OFF_CQ_RING = 0x8000000L, IORING_OFF_SQES = 0x10000000L;
    static final int IORING_FEAT_SINGLE_MMAP = 1;

    static final int IORING_OP_NOP = 0, IORING_OP_READV = 1, IORING_OP_WRITEV = 2, IORING_OP_FSYNC = 3;
    static final int IOSQE_IO_DRAIN = 1 << 1, IOSQE_ASYNC = 1 << 4;

    /** struct io_uring_params. */
    static final int PARAMS_SIZE = 120, PARAMS_SQ_ENTRIES = 0, PARAMS_CQ_ENTRIES = 4, PARAMS_FLAGS = 8,
            PARAMS_FEATURES = 20, PARAMS_SQ_OFF = 40, PARAMS_CQ_OFF = 80;
    /** struct io_sqring_offsets, relative to {@link #PARAMS_SQ_OFF}. */
    static final int SQOFF_HEAD = 0, SQOFF_TAIL = 4, SQOFF_RING_MASK = 8, SQOFF_RING_ENTRIES = 12, SQOFF_FLAGS = 16,
            SQOFF_DROPPED = 20, SQOFF_ARRAY = 24;
    /** struct io_cqring_offsets, relative to {@link #PARAMS_CQ_OFF}. */
    static final int CQOFF_HEAD = 0, CQOFF_TAIL = 4, CQOFF_RING_MASK = 8, CQOFF_RING_ENTRIES = 12, CQOFF_OVERFLOW = 16,
            CQOFF_CQES = 20;
    /** struct io_uring_sqe. */
    static final int SQE_SIZE = 64, SQE_OPCODE = 0, SQE_FLAGS = 1, SQE_IOPRIO = 2, SQE_FD = 4, SQE_OFF = 8, SQE_ADDR = 16,
            SQE_LEN = 24, SQE_RW_FLAGS = 28, SQE_USER_DATA = 32;
    /** struct io_uring_cqe (without IORING_SETUP_CQE32). */
    static final int CQE_SIZE = 16, CQE_USER_DATA = 0, CQE_RES = 8, CQE_FLAGS = 12;
}
