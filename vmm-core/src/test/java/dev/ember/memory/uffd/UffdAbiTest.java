package dev.ember.memory.uffd;

import static dev.ember.memory.uffd.UffdAbi.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.testing.CProbe;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every userfaultfd struct offset, ioctl number and constant Ember uses, against {@code <linux/userfaultfd.h>} compiled with gcc. */
class UffdAbiTest {
    @TempDir Path dir;

    @Test
    void layoutsAndConstantsMatchTheKernelHeaders() throws Exception {
        Object[][] expected = {
                {"sys_userfaultfd", SYS_USERFAULTFD, "__NR_userfaultfd"},
                {"sys_pidfd_open", SYS_PIDFD_OPEN, "__NR_pidfd_open"},
                {"uffd_api", UFFD_API, "UFFD_API"},
                {"user_mode_only", UFFD_USER_MODE_ONLY, "UFFD_USER_MODE_ONLY"},
                {"feature_event_remove", UFFD_FEATURE_EVENT_REMOVE, "UFFD_FEATURE_EVENT_REMOVE"},
                {"register_mode_missing", UFFDIO_REGISTER_MODE_MISSING, "UFFDIO_REGISTER_MODE_MISSING"},
                {"copy_mode_dontwake", UFFDIO_COPY_MODE_DONTWAKE, "UFFDIO_COPY_MODE_DONTWAKE"},
                {"zeropage_mode_dontwake", UFFDIO_ZEROPAGE_MODE_DONTWAKE, "UFFDIO_ZEROPAGE_MODE_DONTWAKE"},
                {"bit_copy", BIT_UFFDIO_COPY, "_UFFDIO_COPY"},
                {"bit_zeropage", BIT_UFFDIO_ZEROPAGE, "_UFFDIO_ZEROPAGE"},
                {"event_pagefault", UFFD_EVENT_PAGEFAULT, "UFFD_EVENT_PAGEFAULT"},
                {"event_fork", UFFD_EVENT_FORK, "UFFD_EVENT_FORK"},
                {"event_remap", UFFD_EVENT_REMAP, "UFFD_EVENT_REMAP"},
                {"event_remove", UFFD_EVENT_REMOVE, "UFFD_EVENT_REMOVE"},
                {"event_unmap", UFFD_EVENT_UNMAP, "UFFD_EVENT_UNMAP"},
                {"pagefault_flag_write", UFFD_PAGEFAULT_FLAG_WRITE, "UFFD_PAGEFAULT_FLAG_WRITE"},
                {"ioc_api", UFFDIO_API & 0xffffffffL, "UFFDIO_API"},
                {"ioc_register", UFFDIO_REGISTER & 0xffffffffL, "UFFDIO_REGISTER"},
                {"ioc_unregister", UFFDIO_UNREGISTER & 0xffffffffL, "UFFDIO_UNREGISTER"},
                {"ioc_wake", UFFDIO_WAKE & 0xffffffffL, "UFFDIO_WAKE"},
                {"ioc_copy", UFFDIO_COPY & 0xffffffffL, "UFFDIO_COPY"},
                {"ioc_zeropage", UFFDIO_ZEROPAGE & 0xffffffffL, "UFFDIO_ZEROPAGE"},
                {"ioc_new", USERFAULTFD_IOC_NEW & 0xffffffffL, "USERFAULTFD_IOC_NEW"},
                {"api_size", API_SIZE, "sizeof(struct uffdio_api)"},
                {"api_api", API_API, "offsetof(struct uffdio_api, api)"},
                {"api_features", API_FEATURES, "offsetof(struct uffdio_api, features)"},
                {"api_ioctls", API_IOCTLS, "offsetof(struct uffdio_api, ioctls)"},
                {"range_size", RANGE_SIZE, "sizeof(struct uffdio_range)"},
                {"range_start", RANGE_START, "offsetof(struct uffdio_range, start)"},
                {"range_len", RANGE_LEN, "offsetof(struct uffdio_range, len)"},
                {"register_size", REGISTER_SIZE, "sizeof(struct uffdio_register)"},
                {"register_range", REGISTER_RANGE, "offsetof(struct uffdio_register, range)"},
                {"register_mode", REGISTER_MODE, "offsetof(struct uffdio_register, mode)"},
                {"register_ioctls", REGISTER_IOCTLS, "offsetof(struct uffdio_register, ioctls)"},
                {"copy_size", COPY_SIZE, "sizeof(struct uffdio_copy)"},
                {"copy_dst", COPY_DST, "offsetof(struct uffdio_copy, dst)"},
                {"copy_src", COPY_SRC, "offsetof(struct uffdio_copy, src)"},
                {"copy_len", COPY_LEN, "offsetof(struct uffdio_copy, len)"},
                {"copy_mode", COPY_MODE, "offsetof(struct uffdio_copy, mode)"},
                {"copy_copy", COPY_COPY, "offsetof(struct uffdio_copy, copy)"},
                {"zeropage_size", ZEROPAGE_SIZE, "sizeof(struct uffdio_zeropage)"},
                {"zeropage_range", ZEROPAGE_RANGE, "offsetof(struct uffdio_zeropage, range)"},
                {"zeropage_mode", ZEROPAGE_MODE, "offsetof(struct uffdio_zeropage, mode)"},
                {"zeropage_zeropage", ZEROPAGE_ZEROPAGE, "offsetof(struct uffdio_zeropage, zeropage)"},
                {"msg_size", MSG_SIZE, "sizeof(struct uffd_msg)"},
                {"msg_event", MSG_EVENT, "offsetof(struct uffd_msg, event)"},
                {"msg_pf_flags", MSG_PAGEFAULT_FLAGS, "offsetof(struct uffd_msg, arg.pagefault.flags)"},
                {"msg_pf_address", MSG_PAGEFAULT_ADDRESS, "offsetof(struct uffd_msg, arg.pagefault.address)"},
                {"msg_remove_start", MSG_REMOVE_START, "offsetof(struct uffd_msg, arg.remove.start)"},
                {"msg_remove_end", MSG_REMOVE_END, "offsetof(struct uffd_msg, arg.remove.end)"},
        };
        assertEquals(java.util.List.of(), CProbe.mismatches(dir, "#include <linux/userfaultfd.h>\n#include <sys/ioctl.h>\n#include <sys/syscall.h>", expected));
    }
}
