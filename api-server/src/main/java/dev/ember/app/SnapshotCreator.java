package dev.ember.app;

import dev.ember.config.SnapshotCreateParams;
import dev.ember.config.SnapshotType;
import dev.ember.config.VmResources;
import dev.ember.log.Log;
import dev.ember.snapshot.MemoryFile;
import dev.ember.snapshot.SnapshotFormatException;
import dev.ember.snapshot.SnapshotIoException;
import dev.ember.snapshot.StateSections;
import dev.ember.sys.NativeException;
import java.nio.file.Path;

/**
 * PUT /snapshot/create on a paused {@link Machine}: the VM's, the devices' and the
 * configuration's state into the state file, guest memory (whole, or the pages a Diff needs)
 * into the memory file.
 */
final class SnapshotCreator {
    private static final System.Logger LOG = Log.logger(SnapshotCreator.class);

    private SnapshotCreator() {}

    /** Writes both files of {@code m}, whose vCPUs are parked; {@code resources} is the configuration recorded with them. */
    static void create(Machine m, SnapshotCreateParams params, VmResources resources) throws VmmException {
        boolean diff = params.snapshotType() == SnapshotType.Diff;
        if (diff && !m.vm.addressSpace().tracksDirtyPages()) {
            throw new VmmException("Diff snapshots need dirty page tracking: set machine-config.track_dirty_pages to true"
                    + " before InstanceStart (or track_dirty_pages on PUT /snapshot/load), or take a Full snapshot");
        }
        if (diff && m.dirtyLogLost) {
            throw new VmmException("a previous snapshot failed after the dirty page log was read, so a Diff would miss pages;"
                    + " take a Full snapshot first");
        }
        long t0 = System.nanoTime();
        Path statePath = Path.of(params.snapshotPath());
        Path memPath = Path.of(params.memFilePath());
        if (statePath.toAbsolutePath().equals(memPath.toAbsolutePath())) {
            throw new VmmException("snapshot_path and mem_file_path are the same file (" + statePath + "); give two paths");
        }
        StateSections sections = new StateSections();
        sections.put(Snapshots.CONFIG, Snapshots.recordConfig(resources));
        long[] memoryStart = new long[1];
        try {
            // On the event loop: it owns the virtqueues, so no device work runs between the
            // state capture and the memory dump.
            m.runOnLoop(() -> {
                // Async drives finish their in-flight requests (and raise their interrupts)
                // before the interrupt controllers and rings are captured.
                m.virtio.drainInFlight();
                m.vm.saveState(sections);
                sections.put(Snapshots.SERIAL, m.serial);
                sections.put(Snapshots.I8042, m.i8042);
                m.virtio.saveState(sections);
                memoryStart[0] = System.nanoTime();
                if (m.vm.addressSpace().tracksDirtyPages()) {
                    // Reading the logs starts them over: from here a failure loses dirty pages.
                    m.dirtyLogLost = true;
                    long[][] dirty = m.vm.addressSpace().takeDirtyPages();
                    if (diff) {
                        MemoryFile.writeDiff(memPath, m.vm.memory(), dirty);
                    } else {
                        MemoryFile.writeFull(memPath, m.vm.memory());
                    }
                } else {
                    MemoryFile.writeFull(memPath, m.vm.memory());
                }
            });
            sections.write(statePath);
            m.dirtyLogLost = false;
        } catch (SnapshotIoException | SnapshotFormatException | NativeException e) {
            throw new VmmException("cannot create the snapshot: " + e.getMessage());
        }
        long us = LatencyMetrics.since(diff ? LatencyMetrics.VMM_DIFF_CREATE_SNAPSHOT : LatencyMetrics.VMM_FULL_CREATE_SNAPSHOT, t0);
        LOG.log(System.Logger.Level.INFO, String.format((diff ? "Diff" : "Full") + " snapshot created in %d us (state captured %d us, memory file %d us):"
                + " state %s, memory %s (%d MiB)", us, (memoryStart[0] - t0) / 1000, (System.nanoTime() - memoryStart[0]) / 1000,
                statePath, memPath, m.vm.memory().size() >> 20));
    }
}
