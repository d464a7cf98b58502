package dev.ember.devices.virtio.vsock;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.testing.CProbe;
import dev.ember.sys.LibC;
import dev.ember.sys.SockaddrUn;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** struct virtio_vsock_hdr, the vsock constants and struct sockaddr_un against the C headers. */
class VsockLayoutTest {
    @Test
    void matchesLinuxHeaders() throws Exception {
        Map<String, String> e = new LinkedHashMap<>();
        e.put("hdr", "sizeof(struct virtio_vsock_hdr)");
        e.put("src_cid", "offsetof(struct virtio_vsock_hdr, src_cid)");
        e.put("dst_cid", "offsetof(struct virtio_vsock_hdr, dst_cid)");
        e.put("src_port", "offsetof(struct virtio_vsock_hdr, src_port)");
        e.put("dst_port", "offsetof(struct virtio_vsock_hdr, dst_port)");
        e.put("len", "offsetof(struct virtio_vsock_hdr, len)");
        e.put("type", "offsetof(struct virtio_vsock_hdr, type)");
        e.put("op", "offsetof(struct virtio_vsock_hdr, op)");
        e.put("flags", "offsetof(struct virtio_vsock_hdr, flags)");
        e.put("buf_alloc", "offsetof(struct virtio_vsock_hdr, buf_alloc)");
        e.put("fwd_cnt", "offsetof(struct virtio_vsock_hdr, fwd_cnt)");
        e.put("cfg_cid", "offsetof(struct virtio_vsock_config, guest_cid)");
        e.put("cfg", "sizeof(struct virtio_vsock_config)");
        e.put("event", "sizeof(struct virtio_vsock_event)");
        e.put("reset", "VIRTIO_VSOCK_EVENT_TRANSPORT_RESET");
        e.put("stream", "VIRTIO_VSOCK_TYPE_STREAM");
        e.put("op_request", "VIRTIO_VSOCK_OP_REQUEST");
        e.put("op_response", "VIRTIO_VSOCK_OP_RESPONSE");
        e.put("op_rst", "VIRTIO_VSOCK_OP_RST");
        e.put("op_shutdown", "VIRTIO_VSOCK_OP_SHUTDOWN");
        e.put("op_rw", "VIRTIO_VSOCK_OP_RW");
        e.put("op_credit_update", "VIRTIO_VSOCK_OP_CREDIT_UPDATE");
        e.put("op_credit_request", "VIRTIO_VSOCK_OP_CREDIT_REQUEST");
        e.put("shut_rcv", "VIRTIO_VSOCK_SHUTDOWN_RCV");
        e.put("shut_send", "VIRTIO_VSOCK_SHUTDOWN_SEND");
        e.put("host_cid", "VMADDR_CID_HOST");
        e.put("device_id", "VIRTIO_ID_VSOCK");
        e.put("sun", "sizeof(struct sockaddr_un)");
        e.put("sun_family", "offsetof(struct sockaddr_un, sun_family)");
        e.put("sun_path", "offsetof(struct sockaddr_un, sun_path)");
        e.put("sun_path_len", "sizeof(((struct sockaddr_un *)0)->sun_path)");
        e.put("AF_UNIX", "AF_UNIX");
        e.put("SOCK_STREAM", "SOCK_STREAM");
        e.put("SOCK_NONBLOCK", "SOCK_NONBLOCK");
        e.put("SOCK_CLOEXEC", "SOCK_CLOEXEC");
        e.put("SHUT_WR", "SHUT_WR");
        e.put("MSG_NOSIGNAL", "MSG_NOSIGNAL");
        e.put("EPIPE", "EPIPE");
        e.put("EADDRINUSE", "EADDRINUSE");
        Map<String, Long> v = CProbe.evaluate(List.of("sys/socket.h", "sys/un.h", "errno.h", "linux/virtio_ids.h",
                "linux/vm_sockets.h", "linux/virtio_vsock.h"), e);
        assertEquals(VsockPacket.HDR_SIZE, v.get("hdr"));
        assertEquals(VsockPacket.OFF_SRC_CID, v.get("src_cid"));
        assertEquals(VsockPacket.OFF_DST_CID, v.get("dst_cid"));
        assertEquals(VsockPacket.OFF_SRC_PORT, v.get("src_port"));
        assertEquals(VsockPacket.OFF_DST_PORT, v.get("dst_port"));
        assertEquals(VsockPacket.OFF_LEN, v.get("len"));
        assertEquals(VsockPacket.OFF_TYPE, v.get("type"));
        assertEquals(VsockPacket.OFF_OP, v.get("op"));
        assertEquals(VsockPacket.OFF_FLAGS, v.get("flags"));
        assertEquals(VsockPacket.OFF_BUF_ALLOC, v.get("buf_alloc"));
        assertEquals(VsockPacket.OFF_FWD_CNT, v.get("fwd_cnt"));
        assertEquals(VirtioVsock.CFG_GUEST_CID, v.get("cfg_cid"));
        assertEquals(VirtioVsock.CFG_SIZE, v.get("cfg"));
        assertEquals(4, v.get("event"));
        assertEquals(VirtioVsock.EVENT_TRANSPORT_RESET, v.get("reset"));
        assertEquals(VsockPacket.TYPE_STREAM, v.get("stream"));
        assertEquals(VsockPacket.OP_REQUEST, v.get("op_request"));
        assertEquals(VsockPacket.OP_RESPONSE, v.get("op_response"));
        assertEquals(VsockPacket.OP_RST, v.get("op_rst"));
        assertEquals(VsockPacket.OP_SHUTDOWN, v.get("op_shutdown"));
        assertEquals(VsockPacket.OP_RW, v.get("op_rw"));
        assertEquals(VsockPacket.OP_CREDIT_UPDATE, v.get("op_credit_update"));
        assertEquals(VsockPacket.OP_CREDIT_REQUEST, v.get("op_credit_request"));
        assertEquals(VsockPacket.SHUTDOWN_RCV, v.get("shut_rcv"));
        assertEquals(VsockPacket.SHUTDOWN_SEND, v.get("shut_send"));
        assertEquals(VsockPacket.HOST_CID, v.get("host_cid"));
        assertEquals(VirtioVsock.DEVICE_ID, v.get("device_id"));
        assertEquals(SockaddrUn.SIZE, v.get("sun"));
        assertEquals(SockaddrUn.OFFSET_FAMILY, v.get("sun_family"));
        assertEquals(SockaddrUn.OFFSET_PATH, v.get("sun_path"));
        assertEquals(SockaddrUn.PATH_MAX, v.get("sun_path_len"));
        assertEquals(LibC.AF_UNIX, v.get("AF_UNIX"));
        assertEquals(LibC.SOCK_STREAM, v.get("SOCK_STREAM"));
        assertEquals(LibC.SOCK_NONBLOCK, v.get("SOCK_NONBLOCK"));
        assertEquals(LibC.SOCK_CLOEXEC, v.get("SOCK_CLOEXEC"));
        assertEquals(LibC.SHUT_WR, v.get("SHUT_WR"));
        assertEquals(LibC.MSG_NOSIGNAL, v.get("MSG_NOSIGNAL"));
        assertEquals(LibC.EPIPE, v.get("EPIPE"));
        assertEquals(LibC.EADDRINUSE, v.get("EADDRINUSE"));
    }
}
