package dev.ember.sys;

import static dev.ember.sys.FdPassing.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.testing.CProbe;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** msghdr, iovec, cmsghdr (SCM_RIGHTS), ucred and pollfd as {@link FdPassing} declares them, against the C headers. */
class FdPassingLayoutTest {
    @TempDir Path dir;

    @Test
    void structsAndConstantsMatchTheHeaders() throws Exception {
        Object[][] expected = {
                {"msghdr_size", MSGHDR_SIZE, "sizeof(struct msghdr)"},
                {"msg_name", MSG_NAME, "offsetof(struct msghdr, msg_name)"},
                {"msg_namelen", MSG_NAMELEN, "offsetof(struct msghdr, msg_namelen)"},
                {"msg_iov", MSG_IOV, "offsetof(struct msghdr, msg_iov)"},
                {"msg_iovlen", MSG_IOVLEN, "offsetof(struct msghdr, msg_iovlen)"},
                {"msg_control", MSG_CONTROL, "offsetof(struct msghdr, msg_control)"},
                {"msg_controllen", MSG_CONTROLLEN, "offsetof(struct msghdr, msg_controllen)"},
                {"msg_flags", MSG_FLAGS, "offsetof(struct msghdr, msg_flags)"},
                {"iovec_size", IOVEC_SIZE, "sizeof(struct iovec)"},
                {"iov_base", IOV_BASE, "offsetof(struct iovec, iov_base)"},
                {"iov_len", IOV_LEN, "offsetof(struct iovec, iov_len)"},
                {"cmsg_len", CMSG_LEN_FIELD, "offsetof(struct cmsghdr, cmsg_len)"},
                {"cmsg_level", CMSG_LEVEL, "offsetof(struct cmsghdr, cmsg_level)"},
                {"cmsg_type", CMSG_TYPE, "offsetof(struct cmsghdr, cmsg_type)"},
                {"cmsg_data", CMSG_DATA, "CMSG_LEN(0)"},
                {"cmsg_len_fd", CMSG_LEN_ONE_FD, "CMSG_LEN(sizeof(int))"},
                {"cmsg_space_fd", CMSG_SPACE_ONE_FD, "CMSG_SPACE(sizeof(int))"},
                {"cmsg_len_8", cmsgLen(8), "CMSG_LEN(8 * sizeof(int))"},
                {"cmsg_space_8", cmsgSpace(8), "CMSG_SPACE(8 * sizeof(int))"},
                {"cmsg_len_3", cmsgLen(3), "CMSG_LEN(3 * sizeof(int))"},
                {"cmsg_space_3", cmsgSpace(3), "CMSG_SPACE(3 * sizeof(int))"},
                {"ucred_size", UCRED_SIZE, "sizeof(struct ucred)"},
                {"ucred_pid", UCRED_PID, "offsetof(struct ucred, pid)"},
                {"ucred_uid", UCRED_UID, "offsetof(struct ucred, uid)"},
                {"ucred_gid", UCRED_GID, "offsetof(struct ucred, gid)"},
                {"pollfd_size", POLLFD_SIZE, "sizeof(struct pollfd)"},
                {"pollfd_fd", POLLFD_FD, "offsetof(struct pollfd, fd)"},
                {"pollfd_events", POLLFD_EVENTS, "offsetof(struct pollfd, events)"},
                {"pollfd_revents", POLLFD_REVENTS, "offsetof(struct pollfd, revents)"},
                {"sol_socket", SOL_SOCKET, "SOL_SOCKET"},
                {"scm_rights", SCM_RIGHTS, "SCM_RIGHTS"},
                {"so_peercred", SO_PEERCRED, "SO_PEERCRED"},
                {"msg_cmsg_cloexec", MSG_CMSG_CLOEXEC, "MSG_CMSG_CLOEXEC"},
                {"msg_ctrunc", MSG_CTRUNC, "MSG_CTRUNC"},
                {"pollin", POLLIN, "POLLIN"},
                {"pollerr", POLLERR, "POLLERR"},
                {"pollhup", POLLHUP, "POLLHUP"},
                {"pollnval", POLLNVAL, "POLLNVAL"},
                {"pollrdhup", POLLRDHUP, "POLLRDHUP"},
                {"enxio", LibC.ENXIO, "ENXIO"},
                {"esrch", LibC.ESRCH, "ESRCH"},
        };
        assertEquals(java.util.List.of(), CProbe.mismatches(dir, "#define _GNU_SOURCE\n#include <sys/socket.h>\n#include <sys/uio.h>\n#include <poll.h>\n#include <errno.h>", expected));
    }
}
