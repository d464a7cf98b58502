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
 * is byte for byte what databind writes, for every configuration of a boot source and a machine
 * configuration alone; any other section leaves it to databind (null).
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

    @Test
    void anyOtherSectionIsLeftToDatabind() {
        BootSourceConfig boot = new BootSourceConfig("/k", null, null);
        List<VmConfigFile> others = List.of(
                new VmConfigFile(boot, MachineConfig.DEFAULT, JsonNodeFactory.instance.objectNode(), List.of(), List.of(), List.of(),
                        null, null, null, null, null, null, null, null),
                new VmConfigFile(boot, MachineConfig.DEFAULT, null, List.of(DriveConfig.of("rootfs", "/r", true, false)), List.of(),
                        List.of(), null, null, null, null, null, null, null, null),
                new VmConfigFile(boot, MachineConfig.DEFAULT, null, List.of(), List.of(NetworkInterfaceConfig.of("eth0", "tap0", null)),
                        List.of(), null, null, null, null, null, null, null, null),
                new VmConfigFile(boot, MachineConfig.DEFAULT, null, List.of(), List.of(), List.of(),
                        new VsockConfig(null, 3L, "/v.sock"), null, null, null, null, null, null, null),
                new VmConfigFile(boot, MachineConfig.DEFAULT, null, List.of(), List.of(), List.of(),
                        null, null, null, null, new LoggerConfig(null, null, null, null, null), null, null, null));
        for (VmConfigFile config : others) {
            assertNull(config.writeStreamed(), String.valueOf(config));
        }
    }
}
