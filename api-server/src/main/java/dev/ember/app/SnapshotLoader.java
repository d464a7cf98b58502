package dev.ember.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ember.config.ConfigException;
import dev.ember.config.HugePages;
import dev.ember.config.SnapshotLoadParams;
import dev.ember.config.VmConfigFile;
import dev.ember.config.VmResources;
import dev.ember.log.Log;
import dev.ember.memory.GuestMemory;
import dev.ember.memory.GuestMemoryException;
import dev.ember.memory.RamBacking;
import dev.ember.snapshot.SnapshotFormatException;
import dev.ember.snapshot.StateSections;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import dev.ember.sys.NativeException;
import dev.ember.uffd.UffdBackend;
import dev.ember.uffd.UffdBackendException;
import dev.ember.vm.ExitCode;
import dev.ember.vm.Vm;
import dev.ember.vm.VmConfigurationException;
import dev.ember.vm.VmExitCause;
import dev.ember.vm.VmSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * PUT /snapshot/load into a VMM that has not started: the state file and its recorded
 * configuration read, guest memory mapped from the memory file or handed to a page-fault handler
 * (Uffd), the machine the configuration describes built on the VMM's shell by the
 * {@link MachineBuilder} a boot uses, its state put back and its vCPUs started, parked unless
 * {@code resume_vm}; then handed to its {@link Owner}.
 */
final class SnapshotLoader {
    private static final System.Logger LOG = Log.logger(SnapshotLoader.class);

    /** The VMM a loaded machine is handed to: it runs it from then on, as it runs one it started. */
    interface Owner {
        void loaded(Machine m, boolean running);
    }

    private final MachineBuilder builder;
    private final Owner owner;

    SnapshotLoader(MachineBuilder builder, Owner owner) {
        this.builder = builder;
        this.owner = owner;
    }

    /**
     * Loads the snapshot {@code params} names and gives the machine to the VMM; {@code resources}
     * then describes the loaded machine.
     *
     * @throws VmmFatalException the load failed after it began: the process cannot go on
     */
    void load(SnapshotLoadParams params, VmResources resources) throws VmmException {
        SnapshotLoadParams.MemoryBackend backend = params.memBackend();
        boolean uffd = backend != null && backend.backendType() == SnapshotLoadParams.BackendType.Uffd;
        Path memPath = backend == null ? Path.of(params.memFilePath()) : Path.of(backend.backendPath());
        if (Boolean.TRUE.equals(params.clockRealtime())) {
            throw new VmmException("clock_realtime is not supported yet; leave it out or false");
        }
        try {
            restore(params, resources, memPath, uffd);
        } catch (VmmFatalException e) {
            throw e;
        } catch (VmmException e) {
            // Firecracker: a restore that failed leaves the process too dirty to go on.
            throw new VmmFatalException(e.getMessage());
        }
    }

    /** The part of a load after which a failure is fatal: files read, VM built, state restored. */
    private void restore(SnapshotLoadParams params, VmResources resources, Path memPath, boolean uffd) throws VmmException {
        boolean resume = Boolean.TRUE.equals(params.resumeVm());
        long t0 = System.nanoTime();
        Path statePath = Path.of(params.snapshotPath());
        StateSections sections;
        VmResources recorded = new VmResources();
        try {
            sections = StateSections.read(statePath);
            // An idle microVM's configuration (machine-config alone) is read without databind: a
            // load is what a process is started for, and databind's first use costs tens of ms.
            if (Snapshots.overrides(params)
                    || !VmConfigFile.applyStreamed(sections.get(Snapshots.CONFIG), Snapshots.NOT_RESTORED, recorded)) {
                JsonNode config = Snapshots.restorableConfig(sections, statePath);
                Snapshots.applyOverrides(config, params);
                recorded.applyConfig(config);
            }
            if (resources.serial() != null) {
                recorded.setSerial(resources.serial()); // PUT /serial before the load: where this process's console goes
            }
        } catch (SnapshotFormatException e) {
            throw new VmmException(e.getMessage());
        } catch (ConfigException e) {
            throw new VmmException("snapshot state file " + statePath + ": its recorded configuration cannot be used here: "
                    + e.getMessage());
        }
        VmSpec spec;
        try {
            spec = MachineBuilder.spec(recorded);
        } catch (VmConfigurationException e) {
            throw new VmmException("snapshot state file " + statePath + ": " + e.getMessage());
        }
        if (!uffd && recorded.machineConfig().hugePages() == HugePages.Hugetlbfs2M) {
            // As Firecracker: a hugetlbfs guest's memory file cannot be mapped as its RAM (it would
            // come back in 4 KiB pages); that restore needs the Uffd backend.
            throw new VmmException("snapshot state file " + statePath + ": the guest's memory was backed by 2 MiB huge pages"
                    + " (machine-config.huge_pages 2M), which a File memory backend cannot restore; load it with mem_backend"
                    + " Uffd and a page-fault handler");
        }
        long parsed = System.nanoTime();
        // The memory file holds RAM, then the hotpluggable range (Firecracker's layout): RAM is mapped
        // from it, the range's plugged blocks are read into the device's own memory once restored.
        long hotplugBytes = recorded.memoryHotplug() == null ? 0 : recorded.memoryHotplug().totalSizeMib() << 20;
        UffdBackend handler = null;
        GuestMemory memory;
        if (uffd) {
            if (hotplugBytes > 0) {
                throw new VmmException("snapshot state file " + statePath + ": a microVM with memory-hotplug cannot be loaded with"
                        + " mem_backend Uffd yet (its hotpluggable range is read from the memory file, which the VMM does not see"
                        + " then); load it with backend_type File");
            }
            memory = MachineBuilder.guestRam(spec, recorded.machineConfig().hugePages());
            try {
                handler = UffdBackend.attach(memPath, memory, recorded.machineConfig().hugePages() == HugePages.Hugetlbfs2M
                        ? RamBacking.HUGETLBFS_2M.granule() : 4096);
            } catch (UffdBackendException e) {
                memory.close();
                throw new VmmException(e.getMessage());
            }
            LOG.log(System.Logger.Level.INFO, "guest memory (" + (spec.memSizeBytes() >> 20) + " MiB) handed to the page-fault handler on "
                    + memPath + (handler.handlerPid() > 0 ? " (pid " + handler.handlerPid() + ")" : ""));
        } else {
            memory = mapMemoryFile(memPath, spec.memSizeBytes(), hotplugBytes);
        }
        Machine m = null;
        long built;
        java.util.concurrent.atomic.AtomicReference<Vm> loading = new java.util.concurrent.atomic.AtomicReference<>();
        if (handler != null) {
            handler.watch(why -> onUffdHandlerGone(loading.get(), why));
        }
        try {
            // Tracking as recorded, or asked for now (enable_diff_snapshots is Firecracker's old name).
            boolean track = Boolean.TRUE.equals(recorded.machineConfig().trackDirtyPages())
                    || Boolean.TRUE.equals(params.trackDirtyPages()) || Boolean.TRUE.equals(params.enableDiffSnapshots());
            Vm vm = builder.createVm(spec, memory, track);
            loading.set(vm); // from here a handler's death stops this VM, during the load or after it
            m = builder.assemble(vm, recorded, resources);
            m.uffd = handler;
            built = System.nanoTime();
            m.runOnLoop(new RestoreState(m, sections));
            if (hotplugBytes > 0) {
                m.virtio.loadHotplugMemory(memPath, spec.memSizeBytes());
            }
            if (!resume) {
                m.vm.pause(); // the vCPUs start parked
            }
            m.vm.start();
            if (handler != null && handler.handlerGone()) {
                throw new VmmException("cannot load snapshot " + statePath + ": the page-fault handler on mem_backend.backend_path "
                        + memPath + " exited during the load");
            }
        } catch (SnapshotFormatException e) {
            closeLoading(m, memory, handler);
            throw new VmmException("cannot load snapshot " + statePath + ": " + e.getMessage());
        } catch (VmConfigurationException | GuestMemoryException | NativeException e) {
            closeLoading(m, memory, handler);
            throw new VmmException("cannot load snapshot " + statePath + ": " + e.getMessage());
        } catch (RuntimeException | VmmException e) {
            closeLoading(m, memory, handler);
            throw e;
        }
        owner.loaded(m, resume);
        try {
            recorded.applyTo(resources); // GET /vm/config now describes the loaded machine
        } catch (ConfigException e) {
            LOG.log(System.Logger.Level.WARNING, "loaded snapshot's configuration not recorded: " + e.getMessage());
        }
        long us = LatencyMetrics.since(LatencyMetrics.VMM_LOAD_SNAPSHOT, t0);
        LOG.log(System.Logger.Level.INFO, String.format("snapshot %s loaded in %d us (state file and configuration %d us,"
                + " VM and devices built %d us, state restored and vCPUs started %d us): %d vCPUs, %d MiB from %s, %s",
                statePath, us, (parsed - t0) / 1000, (built - parsed) / 1000, (System.nanoTime() - built) / 1000,
                spec.vcpuCount(), spec.memSizeBytes() >> 20, (uffd ? "the page-fault handler on " : "") + memPath,
                resume ? "running" : "paused"));
    }

    /**
     * The VM's and the devices' state put back, on the event loop. A class, not a lambda: the
     * AOT training run loads no snapshot, so a lambda here was spun at run time in every load.
     */
    private static final class RestoreState implements Runnable {
        private final Machine m;
        private final StateSections sections;

        RestoreState(Machine m, StateSections sections) {
            this.m = m;
            this.sections = sections;
        }

        @Override
        public void run() {
            m.vm.restoreState(sections);
            sections.restore(Snapshots.SERIAL, m.serial);
            sections.restore(Snapshots.I8042, m.i8042);
            m.virtio.restoreState(sections);
        }
    }

    /** A load that failed: the machine if it was assembled, else the memory (and its handler) alone. */
    private static void closeLoading(Machine m, GuestMemory memory, UffdBackend handler) {
        if (m != null) {
            m.close();
        } else {
            memory.close();
            if (handler != null) {
                handler.close();
            }
        }
    }

    /**
     * The page-fault handler is gone (the kernel woke its waiters): the VM cannot go on, as
     * pages it has not touched yet would read as zero. Stops it with GENERIC_ERROR; during the
     * load, {@link #restore} fails instead.
     */
    private static void onUffdHandlerGone(Vm vm, String why) {
        LOG.log(System.Logger.Level.ERROR, why + "; stopping the microVM");
        if (vm != null) {
            vm.requestExit(ExitCode.GENERIC_ERROR, VmExitCause.OTHER, why);
        }
    }

    /**
     * Maps the memory file's RAM part private and copy-on-write; it must hold exactly the VM's
     * memory and, after it, {@code hotplugBytes} of hotpluggable memory.
     */
    private static GuestMemory mapMemoryFile(Path path, long ramBytes, long hotplugBytes) throws VmmException {
        long expectedBytes = ramBytes + hotplugBytes;
        long size;
        try {
            size = Files.size(path);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new VmmException("snapshot memory file " + path + " does not exist");
        } catch (IOException e) {
            throw new VmmException("snapshot memory file " + path + " cannot be read: " + e.getMessage());
        }
        if (size != expectedBytes) {
            throw new VmmException("snapshot memory file " + path + " is " + size + " bytes, but the snapshot's VM has "
                    + expectedBytes + " bytes of memory" + (hotplugBytes > 0 ? " (" + ramBytes + " of RAM and " + hotplugBytes
                    + " hotpluggable)" : "") + " (is it the mem_file_path written with this snapshot?)");
        }
        int fd = Native.LIBC.open(path.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
        if (fd < 0) {
            throw new VmmException("snapshot memory file " + path + " cannot be opened: " + Native.LIBC.strerror(Native.errno()));
        }
        try {
            return GuestMemory.mapFile(ramBytes, fd);
        } catch (NativeException e) {
            throw new VmmException("snapshot memory file " + path + ": " + e.getMessage());
        } finally {
            Native.LIBC.close(fd); // the mapping keeps the file
        }
    }
}
