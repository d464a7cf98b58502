package dev.ember.devices.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.testing.CProbe;
import dev.ember.devices.virtio.VirtioNet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** struct ifreq, the TUN ioctls and the virtio-net header against the kernel's headers. */
class TapLayoutTest {
    @Test
    void matchesLinuxHeaders() throws Exception {
        Map<String, String> e = new LinkedHashMap<>();
        e.put("ifreq_size", "sizeof(struct ifreq)");
        e.put("ifr_name", "offsetof(struct ifreq, ifr_name)");
        e.put("ifr_flags", "offsetof(struct ifreq, ifr_flags)");
        e.put("IFNAMSIZ", "IFNAMSIZ");
        e.put("TUNSETIFF", "TUNSETIFF");
        e.put("TUNSETOFFLOAD", "TUNSETOFFLOAD");
        e.put("TUNSETVNETHDRSZ", "TUNSETVNETHDRSZ");
        e.put("IFF_TAP", "IFF_TAP");
        e.put("IFF_NO_PI", "IFF_NO_PI");
        e.put("IFF_VNET_HDR", "IFF_VNET_HDR");
        e.put("TUN_F_CSUM", "TUN_F_CSUM");
        e.put("TUN_F_TSO4", "TUN_F_TSO4");
        e.put("TUN_F_TSO6", "TUN_F_TSO6");
        e.put("TUN_F_TSO_ECN", "TUN_F_TSO_ECN");
        e.put("TUN_F_UFO", "TUN_F_UFO");
        e.put("hdr_v1", "sizeof(struct virtio_net_hdr_v1)");
        e.put("num_buffers", "offsetof(struct virtio_net_hdr_v1, num_buffers)");
        e.put("F_CSUM", "VIRTIO_NET_F_CSUM");
        e.put("F_GUEST_CSUM", "VIRTIO_NET_F_GUEST_CSUM");
        e.put("F_MAC", "VIRTIO_NET_F_MAC");
        e.put("F_GUEST_TSO4", "VIRTIO_NET_F_GUEST_TSO4");
        e.put("F_GUEST_TSO6", "VIRTIO_NET_F_GUEST_TSO6");
        e.put("F_GUEST_UFO", "VIRTIO_NET_F_GUEST_UFO");
        e.put("F_HOST_TSO4", "VIRTIO_NET_F_HOST_TSO4");
        e.put("F_HOST_TSO6", "VIRTIO_NET_F_HOST_TSO6");
        e.put("F_HOST_UFO", "VIRTIO_NET_F_HOST_UFO");
        e.put("F_MRG_RXBUF", "VIRTIO_NET_F_MRG_RXBUF");
        e.put("F_MTU", "VIRTIO_NET_F_MTU");
        e.put("cfg_mac", "offsetof(struct virtio_net_config, mac)");
        e.put("cfg_mtu", "offsetof(struct virtio_net_config, mtu)");
        Map<String, Long> v = CProbe.evaluate(List.of("sys/ioctl.h", "linux/if.h", "linux/if_tun.h", "linux/virtio_net.h"), e);
        assertEquals(IfReq.SIZE, v.get("ifreq_size"));
        assertEquals(IfReq.OFFSET_NAME, v.get("ifr_name"));
        assertEquals(IfReq.OFFSET_FLAGS, v.get("ifr_flags"));
        assertEquals(IfReq.IFNAMSIZ, v.get("IFNAMSIZ"));
        assertEquals(Tap.TUNSETIFF, v.get("TUNSETIFF"));
        assertEquals(Tap.TUNSETOFFLOAD, v.get("TUNSETOFFLOAD"));
        assertEquals(Tap.TUNSETVNETHDRSZ, v.get("TUNSETVNETHDRSZ"));
        assertEquals(Tap.IFF_TAP, v.get("IFF_TAP"));
        assertEquals(Tap.IFF_NO_PI, v.get("IFF_NO_PI"));
        assertEquals(Tap.IFF_VNET_HDR, v.get("IFF_VNET_HDR"));
        assertEquals(Tap.TUN_F_CSUM, v.get("TUN_F_CSUM"));
        assertEquals(Tap.TUN_F_TSO4, v.get("TUN_F_TSO4"));
        assertEquals(Tap.TUN_F_TSO6, v.get("TUN_F_TSO6"));
        assertEquals(Tap.TUN_F_TSO_ECN, v.get("TUN_F_TSO_ECN"));
        assertEquals(Tap.TUN_F_UFO, v.get("TUN_F_UFO"));
        assertEquals(VirtioNet.VNET_HDR_SIZE, v.get("hdr_v1"));
        assertEquals(10, v.get("num_buffers"));
        assertEquals(VirtioNet.F_CSUM, v.get("F_CSUM"));
        assertEquals(VirtioNet.F_GUEST_CSUM, v.get("F_GUEST_CSUM"));
        assertEquals(VirtioNet.F_MAC, v.get("F_MAC"));
        assertEquals(VirtioNet.F_GUEST_TSO4, v.get("F_GUEST_TSO4"));
        assertEquals(VirtioNet.F_GUEST_TSO6, v.get("F_GUEST_TSO6"));
        assertEquals(VirtioNet.F_GUEST_UFO, v.get("F_GUEST_UFO"));
        assertEquals(VirtioNet.F_HOST_TSO4, v.get("F_HOST_TSO4"));
        assertEquals(VirtioNet.F_HOST_TSO6, v.get("F_HOST_TSO6"));
        assertEquals(VirtioNet.F_HOST_UFO, v.get("F_HOST_UFO"));
        assertEquals(VirtioNet.F_MRG_RXBUF, v.get("F_MRG_RXBUF"));
        assertEquals(VirtioNet.F_MTU, v.get("F_MTU"));
        assertEquals(VirtioNet.CFG_MAC, v.get("cfg_mac"));
        assertEquals(VirtioNet.CFG_MTU, v.get("cfg_mtu"));
    }
}
