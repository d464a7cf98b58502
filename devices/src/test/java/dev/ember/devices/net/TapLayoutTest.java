package dev.ember.devices.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.testing.CProbe;
import dev.ember.devices.virtio.VirtioNet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** struct ifreq, the TUN ioctls and the virtio-net header against the kernel's headers. */
class TapLayoutTest {
    @Test
    void matchesLinuxHeaders() throws Exception {
        Object[][] expected = {
                {"ifreq_size", IfReq.SIZE, "sizeof(struct ifreq)"},
                {"ifr_name", IfReq.OFFSET_NAME, "offsetof(struct ifreq, ifr_name)"},
                {"ifr_flags", IfReq.OFFSET_FLAGS, "offsetof(struct ifreq, ifr_flags)"},
                {"IFNAMSIZ", IfReq.IFNAMSIZ, "IFNAMSIZ"},
                {"TUNSETIFF", Tap.TUNSETIFF, "TUNSETIFF"},
                {"TUNSETOFFLOAD", Tap.TUNSETOFFLOAD, "TUNSETOFFLOAD"},
                {"TUNSETVNETHDRSZ", Tap.TUNSETVNETHDRSZ, "TUNSETVNETHDRSZ"},
                {"IFF_TAP", Tap.IFF_TAP, "IFF_TAP"},
                {"IFF_NO_PI", Tap.IFF_NO_PI, "IFF_NO_PI"},
                {"IFF_VNET_HDR", Tap.IFF_VNET_HDR, "IFF_VNET_HDR"},
                {"TUN_F_CSUM", Tap.TUN_F_CSUM, "TUN_F_CSUM"},
                {"TUN_F_TSO4", Tap.TUN_F_TSO4, "TUN_F_TSO4"},
                {"TUN_F_TSO6", Tap.TUN_F_TSO6, "TUN_F_TSO6"},
                {"TUN_F_TSO_ECN", Tap.TUN_F_TSO_ECN, "TUN_F_TSO_ECN"},
                {"TUN_F_UFO", Tap.TUN_F_UFO, "TUN_F_UFO"},
                {"hdr_v1", VirtioNet.VNET_HDR_SIZE, "sizeof(struct virtio_net_hdr_v1)"},
                {"num_buffers", 10, "offsetof(struct virtio_net_hdr_v1, num_buffers)"},
                {"F_CSUM", VirtioNet.F_CSUM, "VIRTIO_NET_F_CSUM"},
                {"F_GUEST_CSUM", VirtioNet.F_GUEST_CSUM, "VIRTIO_NET_F_GUEST_CSUM"},
                {"F_MAC", VirtioNet.F_MAC, "VIRTIO_NET_F_MAC"},
                {"F_GUEST_TSO4", VirtioNet.F_GUEST_TSO4, "VIRTIO_NET_F_GUEST_TSO4"},
                {"F_GUEST_TSO6", VirtioNet.F_GUEST_TSO6, "VIRTIO_NET_F_GUEST_TSO6"},
                {"F_GUEST_UFO", VirtioNet.F_GUEST_UFO, "VIRTIO_NET_F_GUEST_UFO"},
                {"F_HOST_TSO4", VirtioNet.F_HOST_TSO4, "VIRTIO_NET_F_HOST_TSO4"},
                {"F_HOST_TSO6", VirtioNet.F_HOST_TSO6, "VIRTIO_NET_F_HOST_TSO6"},
                {"F_HOST_UFO", VirtioNet.F_HOST_UFO, "VIRTIO_NET_F_HOST_UFO"},
                {"F_MRG_RXBUF", VirtioNet.F_MRG_RXBUF, "VIRTIO_NET_F_MRG_RXBUF"},
                {"F_MTU", VirtioNet.F_MTU, "VIRTIO_NET_F_MTU"},
                {"cfg_mac", VirtioNet.CFG_MAC, "offsetof(struct virtio_net_config, mac)"},
                {"cfg_mtu", VirtioNet.CFG_MTU, "offsetof(struct virtio_net_config, mtu)"},
        };
        assertEquals(List.of(), CProbe.mismatches(List.of("sys/ioctl.h", "linux/if.h", "linux/if_tun.h", "linux/virtio_net.h"), expected));
    }
}
