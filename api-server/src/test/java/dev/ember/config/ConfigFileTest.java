package dev.ember.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ConfigFileTest extends HostFiles {
    private Path file(String json) throws Exception {
        return Files.writeString(dir.resolve("vm.json"), json.replace("KERNEL", kernel.toString()).replace("DISK", disk.toString()));
    }

    private String error(String json) throws Exception {
        Path f = file(json);
        return assertThrows(ConfigException.class, () -> VmResources.fromConfigFile(f)).getMessage();
    }

    @Test
    void firecrackerExampleConfigParses() throws Exception {
        VmResources vm = VmResources.fromConfigFile(file("""
                {
                  "boot-source": {
                    "kernel_image_path": "KERNEL",
                    "boot_args": "console=ttyS0 reboot=k panic=1 pci=off",
                    "initrd_path": null
                  },
                  "drives": [
                    {
                      "drive_id": "rootfs",
                      "partuuid": null,
                      "is_root_device": true,
                      "cache_type": "Unsafe",
                      "is_read_only": false,
                      "path_on_host": "DISK",
                      "io_engine": "Sync",
                      "rate_limiter": null,
                      "socket": null
                    }
                  ],
                  "machine-config": {
                    "vcpu_count": 2,
                    "mem_size_mib": 1024,
                    "smt": false,
                    "track_dirty_pages": false,
                    "huge_pages": "None"
                  },
                  "cpu-config": null,
                  "balloon": null,
                  "network-interfaces": [
                    {"iface_id": "net1", "guest_mac": "06:00:AC:10:00:02", "host_dev_name": "tap0"}
                  ],
                  "vsock": null,
                  "logger": {"level": "Info", "show_level": true},
                  "metrics": null,
                  "mmds-config": {"network_interfaces": ["net1"]},
                  "entropy": null
                }
                """));
        assertEquals("console=ttyS0 reboot=k panic=1 pci=off", vm.bootSource().bootArgs());
        assertNull(vm.bootSource().initrdPath());
        assertEquals(2, vm.machineConfig().vcpus());
        assertEquals(1024L, vm.machineConfig().memSizeMib());
        assertEquals("rootfs", vm.drives().get(0).driveId());
        assertEquals("tap0", vm.networkInterfaces().get(0).hostDevName());
        assertEquals(LogLevel.Info, vm.logger().level());
        assertEquals("net1", vm.mmdsConfig().networkInterfaces().get(0));
        assertTrue(vm.unsupportedDevices().contains("mmds-config") || Device.MMDS.supported());
    }

    @Test
    void exportRoundTripsThroughTheConfigFileFormat() throws Exception {
        VmResources vm = new VmResources();
        vm.setBootSource(new BootSourceConfig(kernel.toString(), "console=ttyS0", null));
        vm.setMachineConfig(new MachineConfig(2L, 256L, null, null, null, null));
        vm.putDrive(DriveConfig.of("rootfs", disk.toString(), true, true));
        vm.setCpuConfig(new CpuConfig(java.util.List.of("121"), null, null, null, null));
        byte[] json = StrictJson.write(vm.export());
        VmResources back = VmResources.fromConfigFile(Files.write(dir.resolve("export.json"), json));
        assertEquals(vm.bootSource(), back.bootSource());
        assertEquals(vm.machineConfig(), back.machineConfig());
        assertEquals(vm.drives(), back.drives());
        assertEquals(vm.cpuConfig(), back.cpuConfig());
        assertEquals(new String(json, StandardCharsets.UTF_8), new String(StrictJson.write(back.export()), StandardCharsets.UTF_8));
    }

    @Test
    void unknownSectionNamesItAndTheAcceptedOnes() throws Exception {
        String msg = error("{\"boot-source\": {\"kernel_image_path\": \"KERNEL\"}, \"machine_config\": {}}");
        assertTrue(msg.contains("unknown section \"machine_config\"; accepted sections: balloon, boot-source, cpu-config, drives,"
                + " entropy, logger, machine-config, memory-hotplug, metrics, mmds-config, network-interfaces, pmem, serial, vsock"), msg);
        assertTrue(msg.startsWith("config file " + dir.resolve("vm.json") + ": "), msg);
    }

    /** Firecracker's memory-hotplug section: the virtio-mem region, its defaults and rules as PUT /hotplug/memory. */
    @Test
    void memoryHotplugSectionConfiguresTheRegion() throws Exception {
        VmResources vm = VmResources.fromConfigFile(file("{\"boot-source\": {\"kernel_image_path\": \"KERNEL\"},"
                + " \"memory-hotplug\": {\"total_size_mib\": 1024}}"));
        assertEquals(new MemoryHotplugConfig(1024L, 2L, 128L), vm.memoryHotplug());
        assertTrue(vm.unsupportedDevices().isEmpty(), vm.unsupportedDevices().toString());
        String small = error("{\"memory-hotplug\": {\"total_size_mib\": 1024, \"block_size_mib\": 1}}");
        assertTrue(small.contains("Memory hotplug config error: Block size must not be lower than 2 MiB (block_size_mib is 1)"), small);
        String unknown = error("{\"memory-hotplug\": {\"total_size_mib\": 1024, \"size\": 5}}");
        assertTrue(unknown.contains("unknown field `size`, expected one of `total_size_mib`, `block_size_mib`, `slot_size_mib`."
                + " memory-hotplug has no field `size`; remove it or correct its name"),
                unknown);
    }

    /** Firecracker's pmem section: the devices in file order, each checked as PUT /pmem checks it. */
    @Test
    void pmemSectionConfiguresTheDevicesInOrder() throws Exception {
        VmResources vm = VmResources.fromConfigFile(file("{\"boot-source\": {\"kernel_image_path\": \"KERNEL\"},"
                + " \"pmem\": [{\"id\": \"pmem0\", \"path_on_host\": \"DISK\", \"root_device\": true, \"read_only\": false},"
                + " {\"id\": \"data\", \"path_on_host\": \"DISK\", \"read_only\": true}]}"));
        assertEquals(java.util.List.of(PmemConfig.of("pmem0", disk.toString(), true, false), PmemConfig.of("data", disk.toString(), false, true)),
                vm.pmem());
        assertTrue(vm.unsupportedDevices().isEmpty(), vm.unsupportedDevices().toString());
        String second = error("{\"pmem\": [{\"id\": \"a\", \"path_on_host\": \"DISK\", \"root_device\": true},"
                + " {\"id\": \"b\", \"path_on_host\": \"DISK\", \"root_device\": true}]}");
        assertTrue(second.contains("A root pmem device already exist (pmem \"a\" is the root device; set root_device to false for \"b\")"), second);
        String unknown = error("{\"pmem\": [{\"id\": \"a\", \"path_on_host\": \"DISK\", \"size\": 5}]}");
        assertTrue(unknown.contains("unknown field `size`, expected one of `id`, `path_on_host`, `root_device`, `read_only`, `rate_limiter`."
                + " pmem[0] has no field `size`"),
                unknown);
        String notArray = error("{\"pmem\": {\"id\": \"a\"}}");
        assertTrue(notArray.contains("invalid type for pmem: expected an array of objects"), notArray);
    }

    /** Firecracker's full-format files (as its GET /vm/config writes them) carry these sections empty. */
    @Test
    void firecrackerOnlySectionsWrittenEmptyAreAccepted() throws Exception {
        VmResources vm = VmResources.fromConfigFile(file("{\"boot-source\": {\"kernel_image_path\": \"KERNEL\"},"
                + " \"pmem\": [], \"memory-hotplug\": null}"));
        assertEquals(kernel.toString(), vm.bootSource().kernelImagePath());
        assertTrue(vm.unsupportedDevices().isEmpty(), vm.unsupportedDevices().toString());
    }

    @Test
    void unknownFieldInSectionIsNamed() throws Exception {
        String msg = error("{\"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 128, \"memory\": 5}}");
        assertTrue(msg.contains("unknown field `memory`, expected one of `vcpu_count`, `mem_size_mib`, `smt`, `track_dirty_pages`,"
                + " `cpu_template`, `huge_pages`. machine-config has no field `memory`"), msg);
    }

    @Test
    void wrongTypesAreNamedWithTheirIndex() throws Exception {
        String msg = error("{\"drives\": [{\"drive_id\": \"a\", \"is_root_device\": false, \"path_on_host\": \"DISK\"},"
                + " {\"drive_id\": \"b\", \"is_root_device\": \"yes\", \"path_on_host\": \"DISK\"}]}");
        assertTrue(msg.contains("invalid type. drives[1].is_root_device must be a boolean"), msg);
        assertTrue(error("{\"drives\": {}}").contains("invalid type for drives: expected an array"));
        assertTrue(error("{\"machine-config\": {\"vcpu_count\": \"2\", \"mem_size_mib\": 1}}")
                .contains("invalid type. machine-config.vcpu_count must be an integer"));
    }

    @Test
    void validationErrorsComeThroughWithTheFileName() throws Exception {
        String msg = error("{\"machine-config\": {\"vcpu_count\": 64, \"mem_size_mib\": 128}}");
        assertTrue(msg.startsWith("config file "), msg);
        assertTrue(msg.contains("machine-config.vcpu_count is 64"), msg);
        assertTrue(error("{\"drives\": [{\"drive_id\": \"r1\", \"is_root_device\": true, \"path_on_host\": \"DISK\"},"
                + " {\"drive_id\": \"r2\", \"is_root_device\": true, \"path_on_host\": \"DISK\"}]}")
                .contains("A root block device already exists!"));
    }

    @Test
    void malformedAndMissingFiles() throws Exception {
        String malformed = error("{\"boot-source\": ");
        assertTrue(malformed.startsWith("config file " + dir.resolve("vm.json") + ": EOF while parsing a value at line 1 column 16. the file is not JSON: "), malformed);
        assertEquals(1, malformed.split("config file", -1).length - 1, "names the file once: " + malformed);
        assertTrue(error("[]").contains("the top level must be a JSON object"));
        Path missing = dir.resolve("none.json");
        assertEquals("config file " + missing + " does not exist",
                assertThrows(ConfigException.class, () -> VmResources.fromConfigFile(missing)).getMessage());
    }

    @Test
    void cpuConfigIsAPathRelativeToTheCurrentDirectoryAsInFirecracker() throws Exception {
        Path template = Files.writeString(dir.resolve("template.json"), "{\"kvm_capabilities\": [\"!56\"]}");
        VmResources vm = VmResources.fromConfigFile(file("{\"cpu-config\": \"" + template + "\"}"));
        assertEquals("!56", vm.cpuConfig().kvmCapabilities().get(0));
        Path relative = Path.of("").toAbsolutePath().relativize(template);
        assertEquals("!56", VmResources.fromConfigFile(file("{\"cpu-config\": \"" + relative + "\"}")).cpuConfig().kvmCapabilities().get(0),
                "a relative path is taken from the current directory");
        assertTrue(error("{\"cpu-config\": \"template.json\"}").contains("cpu-config: cannot read CPU template file template.json"),
                "not from the config file's directory");
        Files.writeString(dir.resolve("bad.json"), "{\"kvm_caps\": []}");
        assertTrue(error("{\"cpu-config\": \"" + dir.resolve("bad.json") + "\"}").contains("unknown field `kvm_caps`, expected one of `kvm_capabilities`, ")); // serde's text, then ours naming the file
        assertTrue(error("{\"cpu-config\": \"" + dir.resolve("bad.json") + "\"}").contains("cpu-config (" + dir.resolve("bad.json") + ") has no field `kvm_caps`"));
        assertTrue(error("{\"cpu-config\": 5}").contains("invalid type for cpu-config"));
    }
}
