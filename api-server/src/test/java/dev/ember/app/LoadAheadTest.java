package dev.ember.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.config.BootSourceConfig;
import dev.ember.config.MachineConfig;
import dev.ember.config.VmResources;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The made-up snapshot {@link LoadAhead} runs a load's first steps on is shaped as a real one,
 * so that it warms (and trains into the AOT cache) the path a real load takes: its recorded
 * configuration is what a snapshot of an idle microVM records, and it is applied streamed,
 * without databind.
 */
class LoadAheadTest {
    @TempDir
    Path dir;

    @Test
    void theMadeUpConfigurationIsWhatASnapshotRecordsAndIsAppliedStreamed() throws Exception {
        Path kernel = Files.writeString(dir.resolve("vmlinux"), "not a kernel");
        VmResources resources = new VmResources();
        resources.setBootSource(new BootSourceConfig(kernel.toString(), "console=ttyS0", null));
        resources.setMachineConfig(MachineConfig.DEFAULT);
        String recorded = new String(Snapshots.recordConfig(resources), StandardCharsets.UTF_8);
        assertEquals(recorded, LoadAhead.RECORDED_CONFIG.replace("/load-ahead/vmlinux", kernel.toString()));
        assertTrue(LoadAhead.run(), "the configuration was not applied streamed");
    }
}
