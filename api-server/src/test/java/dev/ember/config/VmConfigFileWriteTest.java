package dev.ember.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A snapshot's recorded configuration written with jackson-core ({@link VmConfigFile#writeStreamed})
 * is byte for byte what databind writes, for configurations of a boot source, a machine
 * configuration, drives, network interfaces and vsock; any other section leaves it to databind (null).
 */
class VmConfigFileWriteTest {
    private static final List<BootSourceConfig> BOOT = Arrays.asList(null, new BootSourceConfig(null, null, null),
            new BootSourceConfig("/k", "console=ttyS0 reboot=k panic=1", null), new BootSourceConfig("/k \"q\" \\", "a\tb\u00e9", "/i"),
            new BootSourceConfig("\ud83d\ude00", "", ""));

    @Test
    void aBootSourceAndMachineConfigVmIsWrittenAsDatabindWritesIt() {
        List<MachineConfig> machines = new ArrayList<>(MachineConfigs.all().subList(0, 400));
        machines.add(null);
        machines.add(MachineConfig.DEFAULT);
        int checked = 0;
        for (BootSourceConfig boot : BOOT) {
            for (MachineConfig machine : machines) {
                for (List<DriveConfig> empty : Arrays.asList(null, List.<DriveConfig>of())) {
                    VmConfigFile config = new VmConfigFile(boot, machine, null, empty, List.of(), empty == null ? null : List.of(),
                            null, null, null, null, null, null, null, null);
                    assertEquals(new String(StrictJson.write(config), StandardCharsets.UTF_8),
                            new String(config.writeStreamed(), StandardCharsets.UTF_8));
                    checked++;
                }
            }
        }
        assertEquals(BOOT.size() * machines.size() * 2, checked);
    }

    private static final List<RateLimiterConfig> LIMITERS = Arrays.asList(null, new RateLimiterConfig(null, null),
            new RateLimiterConfig(new TokenBucketConfig(1000L, null, 100L), null),
            new RateLimiterConfig(new TokenBucketConfig(null, null, null), new TokenBucketConfig(-1L, 0L, Long.MAX_VALUE)));

    @Test
    void drivesInterfacesAndVsockAreWrittenAsDatabindWritesThem() {
        List<DriveConfig> drives = new ArrayList<>();
        for (RateLimiterConfig limiter : LIMITERS) {
            drives.add(new DriveConfig("rootfs", "/r \"x\"", true, null, null, null, limiter, null, null));
            drives.add(new DriveConfig("d1", null, false, true, "uuid-1", CacheType.Writeback, limiter, IoEngine.Async, "/s.sock"));
            drives.add(new DriveConfig(null, "/d", null, false, "", CacheType.Unsafe, limiter, IoEngine.Sync, null));
        }
        List<NetworkInterfaceConfig> ifaces = new ArrayList<>();
        for (RateLimiterConfig rx : LIMITERS) {
            for (RateLimiterConfig tx : LIMITERS) {
                ifaces.add(new NetworkInterfaceConfig("eth0", "tap0", "06:00:ac:10:00:02", 1500L, rx, tx));
            }
        }
        ifaces.add(new NetworkInterfaceConfig(null, null, null, null, null, null));
        List<VsockConfig> vsocks = Arrays.asList(null, new VsockConfig(null, 3L, "/v.sock"), new VsockConfig("vsock0", -1L, null));
        BootSourceConfig boot = new BootSourceConfig("/k", "console=ttyS0", null);
        int checked = 0;
        for (int i = 0; i < drives.size(); i++) {
            for (VsockConfig vsock : vsocks) {
                List<DriveConfig> someDrives = drives.subList(0, i + 1);
                List<NetworkInterfaceConfig> someIfaces = ifaces.subList(0, (i * 3) % ifaces.size() + 1);
                VmConfigFile config = new VmConfigFile(boot, MachineConfig.DEFAULT, null, someDrives, someIfaces, List.of(), vsock,
                        null, null, null, null, null, null, null);
                assertEquals(new String(StrictJson.write(config), StandardCharsets.UTF_8),
                        new String(config.writeStreamed(), StandardCharsets.UTF_8));
                checked++;
            }
        }
        assertEquals(drives.size() * vsocks.size(), checked);
    }

    @Test
    void anyOtherSectionIsLeftToDatabind() {
        BootSourceConfig boot = new BootSourceConfig("/k", null, null);
        List<VmConfigFile> others = List.of(
                new VmConfigFile(boot, MachineConfig.DEFAULT, JsonNodeFactory.instance.objectNode(), List.of(), List.of(), List.of(),
                        null, null, null, null, null, null, null, null),
                new VmConfigFile(boot, MachineConfig.DEFAULT, null, List.of(), List.of(),
                        List.of(new PmemConfig("pmem0", "/p", false, false, null)), null, null, null, null, null, null, null, null),
                new VmConfigFile(boot, MachineConfig.DEFAULT, null, List.of(), List.of(), List.of(),
                        null, new BalloonConfig(64L, true, 0L, false, false), null, null, null, null, null, null),
                new VmConfigFile(boot, MachineConfig.DEFAULT, null, List.of(), List.of(), List.of(),
                        null, null, null, null, new LoggerConfig(null, null, null, null, null), null, null, null));
        for (VmConfigFile config : others) {
            assertNull(config.writeStreamed(), String.valueOf(config));
        }
    }
}
