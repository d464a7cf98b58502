package dev.ember.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.api.FakeVmm;
import dev.ember.config.StrictJson;
import dev.ember.config.VmResources;
import dev.ember.logging.MetricsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VmmCommandTest {
    @TempDir
    Path dir;

    /** Every command is a record implementing exactly one of the phase interfaces, and its phase is that one's. */
    @Test
    void everyCommandDeclaresWhenItMayRun() {
        List<Class<?>> markers = List.of(VmmCommand.AnyPhase.class, VmmCommand.PreBoot.class, VmmCommand.PostBoot.class);
        assertEquals(markers, List.of(VmmCommand.class.getPermittedSubclasses()), "VmmCommand permits only the phase interfaces");
        java.util.Map<VmmCommand.Phase, Integer> counts = new java.util.EnumMap<>(VmmCommand.Phase.class);
        for (Class<?> marker : markers) {
            for (Class<?> c : marker.getPermittedSubclasses()) {
                assertTrue(c.isRecord(), c.getName());
                assertEquals(1, markers.stream().filter(m -> m.isAssignableFrom(c)).count(), c.getName() + " implements one phase interface");
                counts.merge(VmmCommand.phaseOf(c.asSubclass(VmmCommand.class)), 1, Integer::sum);
            }
        }
        assertTrue(counts.values().stream().mapToInt(Integer::intValue).sum() >= 30, "commands: " + counts);
        assertEquals(VmmCommand.Phase.ANY, VmmCommand.phaseOf(VmmCommand.GetInstanceInfo.class));
        assertEquals(VmmCommand.Phase.PRE_BOOT, VmmCommand.phaseOf(VmmCommand.PutBootSource.class));
        assertEquals(VmmCommand.Phase.POST_BOOT, VmmCommand.phaseOf(VmmCommand.GetBalloonStatistics.class));
    }

    @Test
    void phaseIsCheckedBeforeTheCommandRuns() {
        FakeVmm vmm = new FakeVmm();
        VmResources resources = new VmResources();
        try (VmmController c = new VmmController("t", resources, vmm, new MetricsWriter())) {
            VmmResult early = c.handle(new VmmCommand.GetBalloonStatistics());
            assertEquals(VmmResult.refused("The requested operation is not supported before starting the microVM."), early);
            vmm.state = MicroVm.State.RUNNING;
            VmmResult late = c.handle(new VmmCommand.PutSerial(null));
            assertEquals(VmmResult.refused("The requested operation is not supported after starting the microVM."), late);
        }
    }

    /** The file becomes the commands the API would send; applied by the controller it gives what the model reads. */
    @Test
    void configFileThroughTheControllerEqualsTheModelsReading() throws Exception {
        Path kernel = Files.writeString(dir.resolve("vmlinux"), "k");
        Path disk = Files.write(dir.resolve("disk.img"), new byte[512]);
        Path file = Files.writeString(dir.resolve("vm.json"), """
                {"boot-source": {"kernel_image_path": "%s", "boot_args": "console=ttyS0"},
                 "machine-config": {"vcpu_count": 2, "mem_size_mib": 128},
                 "drives": [{"drive_id": "rootfs", "path_on_host": "%s", "is_root_device": true, "is_read_only": true}],
                 "vsock": {"guest_cid": 3, "uds_path": "%s"}}
                """.formatted(kernel, disk, dir.resolve("v.sock")));
        List<VmmCommand> commands = ConfigFileCommands.read(file);
        assertInstanceOf(VmmCommand.PutBootSource.class, commands.get(0));
        VmResources viaCommands = new VmResources();
        try (VmmController c = new VmmController("t", viaCommands, new FakeVmm(), new MetricsWriter())) {
            assertEquals(VmmResult.DONE, c.submitAll(commands));
        }
        assertEquals(StrictJson.MAPPER.valueToTree(VmResources.fromConfigFile(file).export()),
                StrictJson.MAPPER.valueToTree(viaCommands.export()));
    }

    @Test
    void aRefusedFileCommandStopsTheRest() throws Exception {
        Path file = Files.writeString(dir.resolve("vm.json"), """
                {"machine-config": {"vcpu_count": 3, "mem_size_mib": 128, "smt": true},
                 "serial": {"serial_out_path": "/dev/null"}}
                """);
        VmResources resources = new VmResources();
        try (VmmController c = new VmmController("t", resources, new FakeVmm(), new MetricsWriter())) {
            VmmResult result = c.submitAll(ConfigFileCommands.read(file));
            assertInstanceOf(VmmResult.Failed.class, result);
            assertTrue(((VmmResult.Failed) result).message().contains("vCPUs"), result.toString());
        }
        assertEquals(null, resources.serial());
    }
}
