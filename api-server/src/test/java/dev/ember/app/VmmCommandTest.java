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

    @Test
    void everyCommandDeclaresWhenItMayRun() {
        Class<?>[] commands = VmmCommand.class.getPermittedSubclasses();
        assertTrue(commands.length >= 30, "commands: " + commands.length);
        for (Class<?> c : commands) {
            assertTrue(c.isRecord(), c.getName());
            VmmCommand.phaseOf(c.asSubclass(VmmCommand.class)); // throws when @When is missing
        }
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
