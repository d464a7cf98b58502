package dev.ember.it.linux;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;

/** Writes a Firecracker-style config file that boots a Linux guest. */
final class LinuxVmConfig {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectNode root = JSON.createObjectNode();
    private final ObjectNode bootSource = root.putObject("boot-source");
    private final ObjectNode machine = root.putObject("machine-config");

    LinuxVmConfig(Path kernel, String bootArgs) {
        bootSource.put("kernel_image_path", kernel.toString());
        bootSource.put("boot_args", bootArgs);
        machine.put("vcpu_count", 1);
        machine.put("mem_size_mib", 128);
    }

    LinuxVmConfig initrd(Path initrd) {
        bootSource.put("initrd_path", initrd.toString());
        return this;
    }

    LinuxVmConfig machine(int vcpus, int memMib) {
        machine.put("vcpu_count", vcpus);
        machine.put("mem_size_mib", memMib);
        return this;
    }

    /** A writable virtio-blk root device: Ember adds {@code root=/dev/vda rw}, as Firecracker does. */
    LinuxVmConfig rootDrive(Path image) {
        ArrayNode drives = root.withArray("drives");
        ObjectNode d = drives.addObject();
        d.put("drive_id", "rootfs");
        d.put("path_on_host", image.toString());
        d.put("is_root_device", true);
        d.put("is_read_only", false);
        return this;
    }

    /** A drive a vhost-user back-end serves on {@code socket}: Firecracker's shape, the socket and nothing of a file. */
    LinuxVmConfig vhostUserDrive(String id, Path socket, String cacheType) {
        ObjectNode d = root.withArray("drives").addObject();
        d.put("drive_id", id);
        d.put("is_root_device", false);
        d.put("cache_type", cacheType);
        d.put("socket", socket.toString());
        return this;
    }

    /** A virtio-pmem device backed by {@code file}; the guest names them /dev/pmem0, /dev/pmem1, ... in this order. */
    LinuxVmConfig pmem(String id, Path file, boolean rootDevice, boolean readOnly) {
        ObjectNode p = root.withArray("pmem").addObject();
        p.put("id", id);
        p.put("path_on_host", file.toString());
        p.put("root_device", rootDevice);
        p.put("read_only", readOnly);
        return this;
    }

    /** A virtio-net interface backed by the host TAP device {@code tap}. */
    LinuxVmConfig network(String tap, String guestMac) {
        ArrayNode ifaces = root.withArray("network-interfaces");
        ObjectNode n = ifaces.addObject();
        n.put("iface_id", "eth0");
        n.put("host_dev_name", tap);
        n.put("guest_mac", guestMac);
        return this;
    }

    /** A top-level section given as JSON text, e.g. {@code entropy} or {@code balloon}. */
    LinuxVmConfig section(String name, String json) throws IOException {
        root.set(name, JSON.readTree(json));
        return this;
    }

    /** A virtio-vsock device with Firecracker's hybrid Unix-socket host side at {@code uds}. */
    LinuxVmConfig vsock(int guestCid, Path uds) {
        ObjectNode v = root.putObject("vsock");
        v.put("guest_cid", guestCid);
        v.put("uds_path", uds.toString());
        return this;
    }

    Path write(Path dir, String name) throws IOException {
        Path f = dir.resolve(name + ".json");
        JSON.writerWithDefaultPrettyPrinter().writeValue(f.toFile(), root);
        return f;
    }
}
