package dev.ember.devices.virtio;

import static dev.ember.devices.virtio.IoUringAbi.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.testing.CProbe;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every io_uring struct offset and constant Ember uses, against {@code <linux/io_uring.h>} compiled with gcc. */
class IoUringAbiTest {
    @TempDir Path dir;

    @Test
    void layoutsAndConstantsMatchTheKernelHeaders() throws Exception {
        Object[][] expected = {
                {"sys_setup", SYS_IO_URING_SETUP, "__NR_io_uring_setup"},
                {"sys_enter", SYS_IO_URING_ENTER, "__NR_io_uring_enter"},
                {"sys_register", SYS_IO_URING_REGISTER, "__NR_io_uring_register"},
                {"enter_getevents", IORING_ENTER_GETEVENTS, "IORING_ENTER_GETEVENTS"},
                {"register_eventfd", IORING_REGISTER_EVENTFD, "IORING_REGISTER_EVENTFD"},
                {"off_sq_ring", IORING_OFF_SQ_RING, "IORING_OFF_SQ_RING"},
                {"off_cq_ring", IORING_OFF_CQ_RING, "IORING_OFF_CQ_RING"},
                {"off_sqes", IORING_OFF_SQES, "IORING_OFF_SQES"},
                {"feat_single_mmap", IORING_FEAT_SINGLE_MMAP, "IORING_FEAT_SINGLE_MMAP"},
                {"op_nop", IORING_OP_NOP, "IORING_OP_NOP"},
                {"op_readv", IORING_OP_READV, "IORING_OP_READV"},
                {"op_writev", IORING_OP_WRITEV, "IORING_OP_WRITEV"},
                {"op_fsync", IORING_OP_FSYNC, "IORING_OP_FSYNC"},
                {"sqe_io_drain", IOSQE_IO_DRAIN, "IOSQE_IO_DRAIN"},
                {"sqe_async", IOSQE_ASYNC, "IOSQE_ASYNC"},
                {"params_size", PARAMS_SIZE, "sizeof(struct io_uring_params)"},
                {"params_sq_entries", PARAMS_SQ_ENTRIES, "offsetof(struct io_uring_params, sq_entries)"},
                {"params_cq_entries", PARAMS_CQ_ENTRIES, "offsetof(struct io_uring_params, cq_entries)"},
                {"params_flags", PARAMS_FLAGS, "offsetof(struct io_uring_params, flags)"},
                {"params_features", PARAMS_FEATURES, "offsetof(struct io_uring_params, features)"},
                {"params_sq_off", PARAMS_SQ_OFF, "offsetof(struct io_uring_params, sq_off)"},
                {"params_cq_off", PARAMS_CQ_OFF, "offsetof(struct io_uring_params, cq_off)"},
                {"sqoff_head", SQOFF_HEAD, "offsetof(struct io_sqring_offsets, head)"},
                {"sqoff_tail", SQOFF_TAIL, "offsetof(struct io_sqring_offsets, tail)"},
                {"sqoff_ring_mask", SQOFF_RING_MASK, "offsetof(struct io_sqring_offsets, ring_mask)"},
                {"sqoff_ring_entries", SQOFF_RING_ENTRIES, "offsetof(struct io_sqring_offsets, ring_entries)"},
                {"sqoff_flags", SQOFF_FLAGS, "offsetof(struct io_sqring_offsets, flags)"},
                {"sqoff_dropped", SQOFF_DROPPED, "offsetof(struct io_sqring_offsets, dropped)"},
                {"sqoff_array", SQOFF_ARRAY, "offsetof(struct io_sqring_offsets, array)"},
                {"cqoff_head", CQOFF_HEAD, "offsetof(struct io_cqring_offsets, head)"},
                {"cqoff_tail", CQOFF_TAIL, "offsetof(struct io_cqring_offsets, tail)"},
                {"cqoff_ring_mask", CQOFF_RING_MASK, "offsetof(struct io_cqring_offsets, ring_mask)"},
                {"cqoff_ring_entries", CQOFF_RING_ENTRIES, "offsetof(struct io_cqring_offsets, ring_entries)"},
                {"cqoff_overflow", CQOFF_OVERFLOW, "offsetof(struct io_cqring_offsets, overflow)"},
                {"cqoff_cqes", CQOFF_CQES, "offsetof(struct io_cqring_offsets, cqes)"},
                {"sqe_size", SQE_SIZE, "sizeof(struct io_uring_sqe)"},
                {"sqe_opcode", SQE_OPCODE, "offsetof(struct io_uring_sqe, opcode)"},
                {"sqe_flags", SQE_FLAGS, "offsetof(struct io_uring_sqe, flags)"},
                {"sqe_ioprio", SQE_IOPRIO, "offsetof(struct io_uring_sqe, ioprio)"},
                {"sqe_fd", SQE_FD, "offsetof(struct io_uring_sqe, fd)"},
                {"sqe_off", SQE_OFF, "offsetof(struct io_uring_sqe, off)"},
                {"sqe_addr", SQE_ADDR, "offsetof(struct io_uring_sqe, addr)"},
                {"sqe_len", SQE_LEN, "offsetof(struct io_uring_sqe, len)"},
                {"sqe_rw_flags", SQE_RW_FLAGS, "offsetof(struct io_uring_sqe, rw_flags)"},
                {"sqe_fsync_flags", SQE_RW_FLAGS, "offsetof(struct io_uring_sqe, fsync_flags)"},
                {"sqe_user_data", SQE_USER_DATA, "offsetof(struct io_uring_sqe, user_data)"},
                {"sqe_buf_index", 40, "offsetof(struct io_uring_sqe, buf_index)"},
                {"sqe_addr3", 48, "offsetof(struct io_uring_sqe, addr3)"},
                {"cqe_size", CQE_SIZE, "sizeof(struct io_uring_cqe)"},
                {"cqe_user_data", CQE_USER_DATA, "offsetof(struct io_uring_cqe, user_data)"},
                {"cqe_res", CQE_RES, "offsetof(struct io_uring_cqe, res)"},
                {"cqe_flags", CQE_FLAGS, "offsetof(struct io_uring_cqe, flags)"},
        };
        assertEquals(java.util.List.of(), CProbe.mismatches(dir, "#include <linux/io_uring.h>\n#include <sys/syscall.h>", expected));
    }
}
