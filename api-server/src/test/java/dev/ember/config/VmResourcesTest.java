package dev.ember.config;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class VmResourcesTest extends HostFiles {
    VmResources vm = new VmResources();

    private static String message(ThrowingRunnable r) {
        return assertThrows(ConfigException.class, r::run).getMessage();
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    private static MachineConfig machine(long vcpus, long mem, Boolean smt) {
        return new MachineConfig(vcpus, mem, smt, null, null, null);
    }

    private static JsonNode json(String s) throws ConfigException {
        return StrictJson.tree(s.getBytes(StandardCharsets.UTF_8), "test");
    }

    // ---- boot source ----

    @Test
    void bootSourceAccepted() throws Exception {
        vm.setBootSource(new BootSourceConfig(kernel.toString(), "console=ttyS0", null));
        assertEquals("console=ttyS0", vm.bootSource().bootArgs());
        assertTrue(vm.bootConfigured());
    }

    @Test
    void bootSourceErrorsNameTheField() {
        assertEquals("missing field `kernel_image_path` (boot-source.kernel_image_path)",
                message(() -> vm.setBootSource(new BootSourceConfig(null, null, null))));
        assertEquals("boot-source.kernel_image_path must not be empty",
                message(() -> vm.setBootSource(new BootSourceConfig("", null, null))));
        assertTrue(message(() -> vm.setBootSource(new BootSourceConfig(dir + "/nope", null, null)))
                .startsWith("The kernel file cannot be opened: No such file or directory (os error 2) (boot-source.kernel_image_path: "
                        + dir + "/nope does not exist"));
        assertTrue(message(() -> vm.setBootSource(new BootSourceConfig(dir.toString(), null, null)))
                .contains("is a directory"));
        assertTrue(message(() -> vm.setBootSource(new BootSourceConfig(kernel.toString(), null, dir + "/initrd")))
                .startsWith("boot-source.initrd_path: "));
        assertTrue(message(() -> vm.setBootSource(new BootSourceConfig(kernel.toString(), "a".repeat(2048), null)))
                .startsWith("boot-source.boot_args is 2048 characters"));
        assertTrue(message(() -> vm.setBootSource(new BootSourceConfig(kernel.toString(), "console=ttyS0\n", null)))
                .contains("non-printable or non-ASCII character at index 13"));
        assertNull(vm.bootSource());
    }

    // ---- machine config ----

    @Test
    void machineConfigDefaultsAndPut() throws Exception {
        assertEquals(MachineConfig.DEFAULT, vm.machineConfig());
        vm.setMachineConfig(new MachineConfig(2L, 256L, true, true, CpuTemplate.None, null));
        assertEquals(new MachineConfig(2L, 256L, true, true, null, HugePages.None), vm.machineConfig());
        // PUT resets unspecified optional fields to defaults.
        vm.setMachineConfig(machine(1, 64, null));
        assertEquals(false, vm.machineConfig().smt());
        assertEquals(false, vm.machineConfig().trackDirtyPages());
    }

    /** A u64 past 2^63 (here 2^64−5, in a long's bits) is accepted, as Firecracker does; InstanceStart judges the size. */
    @Test
    void memSizeIsUnsigned() {
        assertDoesNotThrow(() -> vm.setMachineConfig(machine(1, -5, false)));
        assertEquals(-5L, vm.machineConfig().memSizeMib());
        assertTrue(new String(StrictJson.write(vm.machineConfig()), StandardCharsets.UTF_8)
                .contains("\"mem_size_mib\":18446744073709551611"));
    }

    @Test
    void machineConfigErrors() {
        assertEquals("missing field `vcpu_count` (machine-config.vcpu_count)",
                message(() -> vm.setMachineConfig(new MachineConfig(null, 128L, null, null, null, null))));
        assertEquals("missing field `mem_size_mib` (machine-config.mem_size_mib)",
                message(() -> vm.setMachineConfig(new MachineConfig(1L, null, null, null, null, null))));
        assertTrue(message(() -> vm.setMachineConfig(machine(0, 128, false))).contains("machine-config.vcpu_count is 0; use 1 to 32"));
        assertTrue(message(() -> vm.setMachineConfig(machine(33, 128, false))).contains("machine-config.vcpu_count is 33"));
        assertTrue(message(() -> vm.setMachineConfig(machine(3, 128, true)))
                .contains("vcpu_count is 3 with smt true; use an even count or set smt to false"));
        assertTrue(message(() -> vm.setMachineConfig(machine(1, 0, false))).contains("mem_size_mib is 0"));
        assertTrue(message(() -> vm.setMachineConfig(new MachineConfig(1L, 129L, null, null, null, HugePages.Hugetlbfs2M)))
                .contains("with huge_pages 2M; use a multiple of 2"));
        assertTrue(message(() -> vm.setMachineConfig(new MachineConfig(1L, 129L, null, null, null, HugePages.Transparent)))
                .contains("with huge_pages Transparent; use a multiple of 2"));
        assertEquals(MachineConfig.DEFAULT, vm.machineConfig());
    }

    @Test
    void smtAllowsOneOrEvenCounts() throws Exception {
        vm.setMachineConfig(machine(1, 128, true));
        vm.setMachineConfig(machine(4, 128, true));
        vm.setMachineConfig(machine(3, 128, false));
        assertEquals(3, vm.machineConfig().vcpus());
    }

    @Test
    void machineConfigPatchMergesAndValidatesTheWhole() throws Exception {
        vm.updateMachineConfig(new MachineConfigUpdate(null, 512L, null, null, null, null));
        assertEquals(new MachineConfig(1L, 512L, false, false, null, HugePages.None), vm.machineConfig());
        vm.updateMachineConfig(new MachineConfigUpdate(3L, null, null, null, null, null));
        // smt on with 3 vCPUs already set is rejected as a whole.
        assertTrue(message(() -> vm.updateMachineConfig(new MachineConfigUpdate(null, null, true, null, null, null)))
                .contains("vcpu_count is 3 with smt true"));
        assertEquals(3L, vm.machineConfig().vcpuCount());
        assertTrue(message(() -> vm.updateMachineConfig(new MachineConfigUpdate(null, null, null, null, null, null)))
                .startsWith("Empty PATCH request."));
    }

    // ---- drives ----

    @Test
    void rootDriveIsKeptFirst() throws Exception {
        vm.putDrive(DriveConfig.of("data", disk.toString(), false, false));
        vm.putDrive(DriveConfig.of("rootfs", disk.toString(), true, true));
        vm.putDrive(DriveConfig.of("scratch", disk.toString(), false, false));
        assertEquals(List.of("rootfs", "data", "scratch"), vm.drives().stream().map(DriveConfig::driveId).toList());
        // Replacing the root with itself is fine; making another one root is not.
        vm.putDrive(DriveConfig.of("rootfs", disk.toString(), true, false));
        assertTrue(message(() -> vm.putDrive(DriveConfig.of("data", disk.toString(), true, false)))
                .startsWith("A root block device already exists! (drive \"rootfs\" is the root device"));
        // Demoting the root, then promoting another drive, reorders.
        vm.putDrive(DriveConfig.of("rootfs", disk.toString(), false, false));
        vm.putDrive(DriveConfig.of("scratch", disk.toString(), true, false));
        assertEquals("scratch", vm.drives().get(0).driveId());
        assertEquals(3, vm.drives().size());
    }

    @Test
    void driveDefaults() throws Exception {
        vm.putDrive(new DriveConfig("d1", disk.toString(), false, null, null, null, null, null, null));
        DriveConfig d = vm.drives().get(0);
        assertEquals(false, d.isReadOnly());
        assertEquals(CacheType.Unsafe, d.cacheType());
        assertEquals(IoEngine.Sync, d.ioEngine());
    }

    /**
     * A vhost-user drive (Firecracker's rule: socket, and none of path_on_host, is_read_only,
     * rate_limiter, io_engine) is kept with those absent, so GET /vm/config shows them null, and
     * its data cannot be patched.
     */
    @Test
    void aVhostUserDriveHasItsSocketAndNothingOfAFile() throws Exception {
        vm.putDrive(new DriveConfig("vu", null, true, null, null, CacheType.Writeback, null, null, "/run/vu.sock"));
        assertTrue(vm.vhostUserDrives());
        DriveConfig d = vm.drives().get(0);
        assertEquals("/run/vu.sock", d.socket());
        assertEquals(null, d.isReadOnly());
        assertEquals(null, d.ioEngine());
        assertEquals("{\"drive_id\":\"vu\",\"path_on_host\":null,\"is_root_device\":true,\"is_read_only\":null,\"partuuid\":null,"
                + "\"cache_type\":\"Writeback\",\"rate_limiter\":null,\"io_engine\":null,\"socket\":\"/run/vu.sock\"}",
                new String(StrictJson.write(d), StandardCharsets.UTF_8));
        RateLimiterConfig limiter = new RateLimiterConfig(new TokenBucketConfig(100L, null, 100L), null);
        assertTrue(message(() -> vm.patchedDrive(new DriveUpdate("vu", null, limiter))).contains("\"vu\" is a vhost-user drive"));
        assertEquals(d, vm.patchedDrive(new DriveUpdate("vu", null, null)), "drive_id alone: the drive as it is (its config is read again)");
        assertEquals(false, new VmResources().vhostUserDrives());
    }

    @Test
    void driveErrors() {
        assertEquals("missing field `drive_id` (drives.drive_id)",
                message(() -> vm.putDrive(DriveConfig.of(null, disk.toString(), false, false))));
        assertTrue(message(() -> vm.putDrive(DriveConfig.of("", disk.toString(), false, false))).startsWith("The ID cannot be empty."));
        assertTrue(message(() -> vm.putDrive(DriveConfig.of("bad-id", disk.toString(), false, false)))
                .startsWith("API Resource IDs can only contain alphanumeric characters and underscores."));
        assertEquals("missing field `is_root_device` (drives[d].is_root_device)",
                message(() -> vm.putDrive(new DriveConfig("d", disk.toString(), null, false, null, null, null, null, null))));
        assertEquals("missing field `path_on_host` (drives[d].path_on_host)",
                message(() -> vm.putDrive(DriveConfig.of("d", null, false, false))));
        assertTrue(message(() -> vm.putDrive(DriveConfig.of("d", dir + "/missing.img", false, false)))
                .startsWith("drives[d].path_on_host: " + dir + "/missing.img does not exist"));
        assertTrue(message(() -> vm.putDrive(new DriveConfig("d", null, false, false, null, null, null, null, "/tmp/vhost.sock")))
                .startsWith("drives[d]: a vhost-user drive (socket) takes none of path_on_host, is_read_only, rate_limiter, io_engine"));
        assertTrue(message(() -> vm.putDrive(new DriveConfig("d", disk.toString(), false, null, null, null, null, null, "/tmp/vhost.sock")))
                .startsWith("drives[d]: a vhost-user drive (socket) takes none of"));
        assertTrue(message(() -> vm.putDrive(new DriveConfig("d", disk.toString(), false, false, "uuid", null, null, null, null)))
                .startsWith("drives[d].partuuid is only used for the root device"));
        RateLimiterConfig badLimiter = new RateLimiterConfig(new TokenBucketConfig(-1L, null, 100L), null);
        assertTrue(message(() -> vm.putDrive(new DriveConfig("d", disk.toString(), false, false, null, null, badLimiter, null, null)))
                .startsWith("drives[d].rate_limiter.bandwidth.size is -1"));
        RateLimiterConfig noRefill = new RateLimiterConfig(null, new TokenBucketConfig(100L, null, null));
        assertEquals("missing field `refill_time` (drives[d].rate_limiter.ops.refill_time)",
                message(() -> vm.putDrive(new DriveConfig("d", disk.toString(), false, false, null, null, noRefill, null, null))));
        assertTrue(vm.drives().isEmpty());
    }

    @Test
    void drivePatch() throws Exception {
        vm.putDrive(DriveConfig.of("rootfs", disk.toString(), true, false));
        Path other = Files.writeString(dir.resolve("other.ext4"), "x");
        RateLimiterConfig limiter = new RateLimiterConfig(new TokenBucketConfig(1000L, null, 100L), null);
        DriveConfig merged = vm.updateDrive(new DriveUpdate("rootfs", other.toString(), limiter));
        assertEquals(other.toString(), merged.pathOnHost());
        assertEquals(limiter, vm.drives().get(0).rateLimiter());
        assertTrue(merged.root());
        assertTrue(message(() -> vm.updateDrive(new DriveUpdate("nope", other.toString(), null))).startsWith("drive \"nope\" does not exist"));
        assertTrue(message(() -> vm.updateDrive(new DriveUpdate("rootfs", dir + "/gone", null))).contains("does not exist"));
    }

    // ---- reasons ----

    private static ConfigException.Reason reason(ThrowingRunnable r) {
        return assertThrows(ConfigException.class, r::run).reason();
    }

    /** Code and tests tell kinds of mistakes apart by reason; the message stays the user's text. */
    @Test
    void eachKindOfMistakeCarriesItsReason() throws Exception {
        assertEquals(ConfigException.Reason.MISSING_FIELD, reason(() -> vm.setBootSource(new BootSourceConfig(null, null, null))));
        assertEquals(ConfigException.Reason.FILE, reason(() -> vm.setBootSource(new BootSourceConfig(dir + "/nope", null, null))));
        assertEquals(ConfigException.Reason.INVALID_VALUE, reason(() -> vm.setMachineConfig(machine(0, 128, false))));
        assertEquals(ConfigException.Reason.MISSING_FIELD,
                reason(() -> vm.updateMachineConfig(new MachineConfigUpdate(null, null, null, null, null, null))));
        assertEquals(ConfigException.Reason.CONFLICT,
                reason(() -> vm.putDrive(new DriveConfig("d", null, false, false, null, null, null, null, "/tmp/vhost.sock"))));
        vm.putDrive(new DriveConfig("vu", null, false, null, null, null, null, null, "/tmp/vhost.sock"));
        assertEquals(ConfigException.Reason.UNSUPPORTED, reason(() -> vm.updateDrive(new DriveUpdate("vu", disk.toString(), null))));
        vm.putDrive(DriveConfig.of("rootfs", disk.toString(), true, false));
        assertEquals(ConfigException.Reason.CONFLICT, reason(() -> vm.putDrive(DriveConfig.of("root2", disk.toString(), true, false))));
        assertEquals(ConfigException.Reason.NOT_FOUND, reason(() -> vm.updateDrive(new DriveUpdate("nope", disk.toString(), null))));
        assertEquals(ConfigException.Reason.MALFORMED_JSON, reason(() -> vm.mmds().put(json("[1]"))));
        assertEquals(ConfigException.Reason.MALFORMED_JSON, reason(() -> json("{\"a\":")));
        assertEquals(ConfigException.Reason.NOT_FOUND, reason(() -> vm.requireBalloon()));
    }

    // ---- network ----

    @Test
    void networkInterfaces() throws Exception {
        vm.putNetworkInterface(NetworkInterfaceConfig.of("eth0", "tap0", "06:00:AC:10:00:02"));
        vm.putNetworkInterface(NetworkInterfaceConfig.of("eth1", "tap1", null));
        // Updating an interface in place may keep its own MAC and device.
        vm.putNetworkInterface(NetworkInterfaceConfig.of("eth0", "tap0", "06:00:ac:10:00:02"));
        assertEquals(2, vm.networkInterfaces().size());
        assertTrue(message(() -> vm.putNetworkInterface(NetworkInterfaceConfig.of("eth2", "tap0", null)))
                .startsWith("Could not create the network device: the host device name tap0 is already in use. (by interface \"eth0\""));
        assertTrue(message(() -> vm.putNetworkInterface(NetworkInterfaceConfig.of("eth2", "tap2", "06:00:AC:10:00:02")))
                .startsWith("The MAC address is already in use: 06:00:AC:10:00:02 (by interface \"eth0\""));
    }

    @Test
    void networkInterfaceErrors() {
        assertTrue(message(() -> vm.putNetworkInterface(NetworkInterfaceConfig.of("eth0", "tap0", "06:00:AC:10:00")))
                .contains("is not a MAC address; use six hex byte pairs"));
        assertTrue(message(() -> vm.putNetworkInterface(NetworkInterfaceConfig.of("eth0", "tap0", "zz:00:AC:10:00:02")))
                .contains("is not a MAC address"));
        assertTrue(message(() -> vm.updateDrive(new DriveUpdate("d", null, null)))
                .startsWith("Please specify at least one property to patch"));
        assertEquals("missing field `host_dev_name` (network-interfaces[eth0].host_dev_name)",
                message(() -> vm.putNetworkInterface(NetworkInterfaceConfig.of("eth0", null, null))));
        assertTrue(message(() -> vm.putNetworkInterface(NetworkInterfaceConfig.of("eth0", "a-very-long-tap-name", null)))
                .contains("is not a valid interface name"));
        assertTrue(message(() -> vm.putNetworkInterface(NetworkInterfaceConfig.of("eth.0", "tap0", null)))
                .startsWith("API Resource IDs can only contain"));
        assertTrue(message(() -> vm.putNetworkInterface(new NetworkInterfaceConfig("eth0", "tap0", null, 40L, null, null)))
                .startsWith("network-interfaces[eth0].mtu is 40; use a value from 68 to 65535"));
        assertTrue(message(() -> vm.updateNetworkInterface(new NetworkInterfaceUpdate("eth9", null, null)))
                .startsWith("Invalid interface ID - not found."));
    }

    @Test
    void networkInterfacePatchReplacesOnlyGivenLimiters() throws Exception {
        RateLimiterConfig rx = new RateLimiterConfig(new TokenBucketConfig(10L, null, 10L), null);
        RateLimiterConfig tx = new RateLimiterConfig(null, new TokenBucketConfig(20L, 5L, 10L));
        vm.putNetworkInterface(new NetworkInterfaceConfig("eth0", "tap0", null, null, rx, null));
        NetworkInterfaceConfig merged = vm.updateNetworkInterface(new NetworkInterfaceUpdate("eth0", null, tx));
        assertEquals(rx, merged.rxRateLimiter());
        assertEquals(tx, merged.txRateLimiter());
    }

    // ---- vsock, balloon, entropy, serial, logger, metrics, mmds, cpu ----

    @Test
    void vsockErrors() throws Exception {
        assertTrue(message(() -> vm.setVsock(new VsockConfig(null, 2L, "/tmp/v.sock"))).startsWith("vsock.guest_cid is 2; use a value from 3"));
        assertEquals("missing field `uds_path` (vsock.uds_path)", message(() -> vm.setVsock(new VsockConfig(null, 3L, null))));
        vm.setVsock(new VsockConfig(null, 3L, "/tmp/v.sock"));
        assertEquals(3L, vm.vsock().guestCid());
    }

    @Test
    void balloonAgainstMemory() throws Exception {
        assertTrue(message(() -> vm.setBalloon(new BalloonConfig(129L, true, null, null, null)))
                .startsWith("Amount of pages requested is too large. (balloon.amount_mib is 129 but machine-config.mem_size_mib is 128"));
        assertEquals("missing field `deflate_on_oom` (balloon.deflate_on_oom)",
                message(() -> vm.setBalloon(new BalloonConfig(64L, null, null, null, null))));
        assertTrue(message(() -> vm.requireBalloon()).startsWith("No balloon device found."));
        vm.setBalloon(new BalloonConfig(64L, true, 1L, null, null));
        assertTrue(message(() -> vm.setMachineConfig(machine(1, 32, false)))
                .startsWith("The memory size (MiB) is smaller than the previously set balloon device target size."));
        assertEquals(100L, vm.updateBalloon(new BalloonUpdate(100L)).amountMib());
        assertTrue(message(() -> vm.updateBalloon(new BalloonUpdate(1000L))).startsWith("Amount of pages requested is too large."));
        assertEquals(5L, vm.updateBalloonStatistics(new BalloonStatsUpdate(5L)).statsPollingIntervalS());
        assertTrue(message(() -> vm.updateBalloonStatistics(new BalloonStatsUpdate(0L)))
                .startsWith("Cannot enable/disable the statistics after boot."));
    }

    @Test
    void balloonAndHugePagesExcludeEachOther() throws Exception {
        vm.setMachineConfig(new MachineConfig(1L, 128L, null, null, null, HugePages.Hugetlbfs2M));
        assertTrue(message(() -> vm.setBalloon(new BalloonConfig(1L, false, null, null, null)))
                .contains("incompatible with memory ballooning"));
    }

    @Test
    void hugePagesAfterABalloonAreRefusedToo() throws Exception {
        vm.setBalloon(new BalloonConfig(1L, false, null, null, null));
        assertTrue(message(() -> vm.setMachineConfig(new MachineConfig(1L, 128L, null, null, null, HugePages.Hugetlbfs2M)))
                .contains("incompatible with memory ballooning"));
        vm.setMachineConfig(new MachineConfig(1L, 128L, null, null, null, HugePages.Transparent));
        assertEquals(HugePages.Transparent, vm.machineConfig().hugePages(), "transparent huge pages and the balloon mix");
    }

    @Test
    void smallSections() throws Exception {
        vm.setEntropy(new EntropyConfig(null));
        vm.setSerial(new SerialConfig(dir + "/serial.out", null));
        vm.setLogger(new LoggerConfig(null, LogLevel.Debug, true, null, null));
        vm.setMetrics(new MetricsConfig(dir + "/metrics.fifo"));
        assertEquals("missing field `metrics_path` (metrics.metrics_path)", message(() -> vm.setMetrics(new MetricsConfig(null))));
        assertEquals("serial.serial_out_path must not be empty", message(() -> vm.setSerial(new SerialConfig("", null))));
        assertEquals("logger.log_path must not be empty",
                message(() -> vm.setLogger(new LoggerConfig("", null, null, null, null))));
        assertTrue(message(() -> vm.setEntropy(new EntropyConfig(new RateLimiterConfig(null, new TokenBucketConfig(1L, -1L, 1L)))))
                .startsWith("entropy.rate_limiter.ops.one_time_burst is -1"));
    }

    @Test
    void mmdsConfigNeedsKnownInterfacesAndLinkLocalAddress() throws Exception {
        assertTrue(message(() -> vm.setMmdsConfig(new MmdsConfig(null, List.of(), null, null)))
                .startsWith("The list of network interface IDs that allow forwarding MMDS requests is empty."));
        assertTrue(message(() -> vm.setMmdsConfig(new MmdsConfig(null, List.of("eth0"), null, null)))
                .contains("mmds-config.network_interfaces has \"eth0\""));
        vm.putNetworkInterface(NetworkInterfaceConfig.of("eth0", "tap0", null));
        assertTrue(message(() -> vm.setMmdsConfig(new MmdsConfig(null, List.of("eth0"), "10.0.0.1", null)))
                .startsWith("The MMDS IPv4 address is not link local. (mmds-config.ipv4_address is \"10.0.0.1\""));
        assertTrue(message(() -> vm.setMmdsConfig(new MmdsConfig(null, List.of("eth0"), "169.254.256.1", null)))
                .startsWith("The MMDS IPv4 address is not link local."));
        vm.setMmdsConfig(new MmdsConfig(null, List.of("eth0"), "169.254.0.1", null)); // all of 169.254/16, as Firecracker
        assertEquals(0xA9FE0001, MmdsConfig.ipv4Value(vm.mmdsConfig().ipv4Address()));
        vm.setMmdsConfig(new MmdsConfig(MmdsVersion.V2, List.of("eth0"), null, null));
        assertEquals("169.254.169.254", vm.mmdsConfig().ipv4Address());
    }

    @Test
    void mmdsDataPutPatchGetAndLimit() throws Exception {
        assertEquals("{}", vm.mmds().contents().toString());
        assertTrue(message(() -> vm.mmds().patch(json("{\"a\":1}"))).startsWith("The MMDS data store is not initialized."));
        vm.mmds().put(json("{\"latest\":{\"meta-data\":{\"id\":\"i-1\",\"old\":true}}}"));
        vm.mmds().patch(json("{\"latest\":{\"meta-data\":{\"old\":null,\"new\":[1,2]}}}"));
        assertEquals("{\"latest\":{\"meta-data\":{\"id\":\"i-1\",\"new\":[1,2]}}}", vm.mmds().contents().toString());
        assertTrue(message(() -> vm.mmds().put(json("[1]"))).startsWith("The MMDS contents must be a JSON object"));
        vm.mmds().setSizeLimit(20);
        ConfigException e = assertThrows(DataStoreLimitException.class, () -> vm.mmds().put(json("{\"k\":\"" + "x".repeat(30) + "\"}")));
        assertTrue(e.getMessage().contains("over the limit of 20 bytes"));
    }

    @Test
    void cpuConfigValidation() throws Exception {
        CpuConfig.CpuidLeafModifier leaf = new CpuConfig.CpuidLeafModifier("0x1", "0x0", 0L, List.of(
                new CpuConfig.CpuidRegisterModifier(CpuConfig.CpuidRegister.ecx, "0b" + "x".repeat(31) + "0")));
        CpuConfig.MsrModifier msr = new CpuConfig.MsrModifier("0x10a", "0b" + "0".repeat(32) + "_" + "x".repeat(32));
        vm.setCpuConfig(new CpuConfig(List.of("!121", "7"), List.of(leaf), List.of(msr), null, null));
        assertTrue(message(() -> vm.setCpuConfig(new CpuConfig(List.of("abc"), null, null, null, null)))
                .startsWith("cpu-config.kvm_capabilities[0] is \"abc\""));
        CpuConfig.CpuidLeafModifier badLeaf = new CpuConfig.CpuidLeafModifier("0xZZ", "0x0", 0L, List.of());
        assertTrue(message(() -> vm.setCpuConfig(new CpuConfig(null, List.of(badLeaf), null, null, null)))
                .startsWith("cpu-config.cpuid_modifiers[0].leaf is \"0xZZ\""));
        CpuConfig.CpuidLeafModifier decimal = new CpuConfig.CpuidLeafModifier("1", "0x0", 0L, List.of());
        assertTrue(message(() -> vm.setCpuConfig(new CpuConfig(null, List.of(decimal), null, null, null)))
                .contains("leaf is \"1\"; use a 32-bit number with its base prefix: hex as \"0x10a\" or binary as \"0b1\""));
        CpuConfig.CpuidLeafModifier longBitmap = new CpuConfig.CpuidLeafModifier("0x1", "0x0", 0L, List.of(
                new CpuConfig.CpuidRegisterModifier(CpuConfig.CpuidRegister.eax, "0b1" + "0".repeat(32))));
        assertTrue(message(() -> vm.setCpuConfig(new CpuConfig(null, List.of(longBitmap), null, null, null)))
                .contains("cpuid_modifiers[0].modifiers[0].bitmap is \"0b1" + "0".repeat(32) + "\"; use \"0b\" followed by at most 32"));
        CpuConfig.CpuidLeafModifier noFlags = new CpuConfig.CpuidLeafModifier("0x1", "0x0", null, List.of());
        assertTrue(message(() -> vm.setCpuConfig(new CpuConfig(null, List.of(noFlags), null, null, null)))
                .contains("cpu-config.cpuid_modifiers[0].flags"));
        assertTrue(message(() -> vm.setCpuConfig(new CpuConfig(null, null, null,
                List.of(new CpuConfig.ArmRegisterModifier("0x0", "0b1")), null))).contains("for aarch64 hosts"));
    }

    @Test
    void oneCpuTemplateAtATimeTheLastOneSetWins() throws Exception {
        CpuConfig custom = new CpuConfig(List.of("7"), null, null, null, null);
        vm.setMachineConfig(new MachineConfig(1L, 128L, null, null, CpuTemplate.T2A, null));
        vm.setCpuConfig(custom);
        assertEquals(null, vm.machineConfig().cpuTemplate(), "a custom template replaces the static one");
        assertEquals(128L, vm.machineConfig().memSizeMib(), "and nothing else of machine-config");
        vm.updateMachineConfig(new MachineConfigUpdate(null, null, null, null, CpuTemplate.C3, null));
        assertEquals(CpuTemplate.C3, vm.machineConfig().cpuTemplate());
        assertEquals(null, vm.cpuConfig(), "a static template replaces the custom one");
        vm.setCpuConfig(custom);
        vm.setMachineConfig(new MachineConfig(2L, 256L, null, null, null, null));
        assertEquals(custom, vm.cpuConfig(), "a machine-config without cpu_template keeps the custom template");
        vm.updateMachineConfig(new MachineConfigUpdate(null, null, null, null, CpuTemplate.None, null));
        assertEquals(null, vm.cpuConfig(), "cpu_template None clears it");
        assertTrue(message(() -> vm.setMachineConfig(new MachineConfig(1L, 128L, null, null, CpuTemplate.V1N1, null)))
                .startsWith("machine-config.cpu_template is V1N1, a template for aarch64"));
    }

    // ---- start checks ----

    @Test
    void startNeedsKernelAndSupportedDevices() throws Exception {
        assertTrue(message(() -> vm.requireStartable()).startsWith("Cannot start microvm without kernel configuration."));
        vm.setBootSource(new BootSourceConfig(kernel.toString(), null, null));
        vm.setSerial(new SerialConfig(null, null));
        vm.requireStartable();
        assertEquals(List.of(), vm.unsupportedDevices());
        vm.setVsock(new VsockConfig(null, 3L, "/tmp/v.sock"));
        vm.setEntropy(new EntropyConfig(null));
        vm.setMachineConfig(new MachineConfig(1L, 128L, null, null, CpuTemplate.T2, null));
        vm.putDrive(new DriveConfig("rootfs", kernel.toString(), true, false, null, null, null, IoEngine.Async, null));
        List<String> expected = new java.util.ArrayList<>();
        for (String name : List.of("drives.io_engine Async", "vsock", "entropy", "machine-config.cpu_template")) {
            Device device = java.util.Arrays.stream(Device.values()).filter(d -> d.configName().equals(name)).findFirst().orElseThrow();
            if (!device.supported()) {
                expected.add(name);
            }
        }
        assertEquals(expected, vm.unsupportedDevices());
        if (!expected.isEmpty()) {
            UnsupportedDeviceException e = assertThrows(UnsupportedDeviceException.class, vm::requireStartable);
            assertTrue(e.getMessage().startsWith("not supported yet: " + String.join(", ", expected)), e.getMessage());
        }
    }
}
