package dev.ember.app;

import dev.ember.arch.x86.BootEntry;
import dev.ember.arch.x86.X86Boot;
import dev.ember.config.BootSourceConfig;
import dev.ember.config.CpuConfig;
import dev.ember.config.CpuTemplate;
import dev.ember.config.HugePages;
import dev.ember.config.MachineConfig;
import dev.ember.config.VmResources;
import dev.ember.eventloop.EventLoop;
import dev.ember.log.Log;
import dev.ember.memory.GuestMemory;
import dev.ember.vm.Vm;
import dev.ember.vm.VmSpec;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The part of a boot that machine-config and boot-source decide, built while the client is
 * still configuring, for InstanceStart to take: the KVM VM with its memory slots and vCPUs
 * (their threads started and waiting), its running event loop, and the kernel and initrd in
 * guest memory. Devices, the command line and the boot tables stay with the start: drives and
 * interfaces may still come, and they shape the command line.
 *
 * <p>The configuration may change until InstanceStart. The controller {@link #offer}s a
 * {@link Plan} after each request; {@link #run} (on {@code main}, which carries the vmm seccomp
 * filter alone, so the threads it starts do too) builds for the newest plan, and rebuilds on a
 * change: a new machine shape or another kernel means a new VM (KVM cannot remove vCPUs, and
 * guest memory must start zeroed), a kernel named after the VM was built is loaded into it.
 * {@link #take} hands the build over only when it matches the start's plan and the image files
 * are unchanged; anything else is closed and the start builds as it would without this class.
 * Nothing here fails a request: a build that fails is dropped, and the start, doing the same
 * work, says why.
 */
final class BootAhead extends AheadHolder<BootAhead.Built> {
    private static final System.Logger LOG = Log.logger(BootAhead.class);

    /**
     * What a boot's VM, loaded kernel and vCPU boot state depend on; {@code kernel} null while
     * boot-source is not set. With {@code pci} the boot tables wait for the start (they describe
     * the root complex the start attaches).
     */
    record Plan(VmSpec spec, HugePages hugePages, boolean trackDirtyPages, Path kernel, Path initrd, boolean pci,
                CpuConfig cpuConfig, CpuTemplate cpuTemplate) {
        /**
         * The plan {@code resources} describe, or null when there is nothing to build yet (no
         * boot-specific request so far) or the machine cannot be shaped (the start will say why).
         */
        static Plan of(VmResources resources) {
            if (!resources.bootConfigured() || resources.vhostUserDrives()) {
                return null; // vhost-user drives: RAM must be a shared memfd, built at the start
            }
            MachineConfig mc = resources.machineConfig();
            BootSourceConfig boot = resources.bootSource();
            try {
                return new Plan(MachineBuilder.spec(resources), mc.hugePages(),
                        Boolean.TRUE.equals(mc.trackDirtyPages()),
                        boot == null ? null : Path.of(boot.kernelImagePath()),
                        boot == null || boot.initrdPath() == null ? null : Path.of(boot.initrdPath()),
                        resources.pciEnabled(), resources.cpuConfig(), mc.cpuTemplate());
            } catch (RuntimeException e) {
                return null;
            }
        }

        boolean sameMachine(Plan other) {
            return spec.vcpuCount() == other.spec.vcpuCount() && spec.memSizeBytes() == other.spec.memSizeBytes()
                    && spec.smt() == other.spec.smt() && hugePages == other.hugePages && trackDirtyPages == other.trackDirtyPages;
        }

        /*
         * Written out rather than a record's generated ones: those bootstrap through
         * ObjectMethods (method handles, interpreted) the first time they run, ~5-10 ms that
         * landed on the first PUT's answer (offer compares plans on the controller's thread).
         * FileStamp is compared field by field for the same reason (at InstanceStart: 14-17 ms).
         */
        @Override
        public boolean equals(Object o) {
            return o instanceof Plan p && sameMachine(p) && sameBoot(p);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(spec.memSizeBytes()) * 31 + spec.vcpuCount();
        }

        boolean sameBoot(Plan other) {
            return Objects.equals(kernel, other.kernel) && Objects.equals(initrd, other.initrd) && pci == other.pci
                    && Objects.equals(cpuConfig, other.cpuConfig) && cpuTemplate == other.cpuTemplate;
        }
    }

    /**
     * A file as it was when read: a kernel loaded ahead is used only if its files did not change
     * since. Size and modification time through java.io.File (two stat calls and little else: this
     * runs between InstanceStart and the guest's first instruction).
     */
    private record FileStamp(long size, long modifiedMillis) {
        static FileStamp of(Path path) {
            if (path == null) {
                return null;
            }
            java.io.File f = path.toFile();
            return new FileStamp(f.length(), f.lastModified());
        }

        /** Whether {@code path} is as this stamp (null: no file) says; compared field by field (see {@link Plan#equals}). */
        static boolean unchanged(FileStamp stamp, Path path) {
            FileStamp now = of(path);
            return stamp == null ? now == null : now != null && stamp.size == now.size && stamp.modifiedMillis == now.modifiedMillis;
        }
    }

    /** What was built for a plan: the VM, its started event loop, and the kernel if the plan named one. */
    static final class Built {
        final Plan plan;
        final Vm vm;
        final EventLoop loop;
        private X86Boot.Images images;
        private BootEntry entry;
        private FileStamp kernelStamp;
        private FileStamp initrdStamp;

        private Built(Plan plan, Vm vm, EventLoop loop) {
            this.plan = plan;
            this.vm = vm;
            this.loop = loop;
        }

        /** The kernel and initrd in the VM's memory, or null if the start must load them. */
        X86Boot.Images images() {
            return images;
        }

        /**
         * Where the boot vCPU enters, once the boot tables are written and every vCPU is in its
         * boot state (the start then writes only the command line); else null.
         */
        BootEntry entry() {
            return entry;
        }

        private boolean filesUnchanged() {
            return FileStamp.unchanged(kernelStamp, plan.kernel) && FileStamp.unchanged(initrdStamp, plan.initrd);
        }

        void close() {
            loop.close();
            vm.close();
        }
    }

    /** Builds a VM for a machine shape; the VM owns everything it was given, also on failure. */
    interface VmFactory {
        Vm create(Plan plan) throws VmmException;
    }

    private final VmFactory factory;
    /** The newest plan offered; guarded by this. */
    private Plan wanted;
    /** The plan whose build failed: not tried again until the plan changes; guarded by this. */
    private Plan failed;

    BootAhead(VmFactory factory) {
        this.factory = factory;
    }

    /** The configuration is now {@code plan} (null: nothing to build); cheap, from the controller's thread. */
    synchronized void offer(Plan plan) {
        if (!over && plan != null && !plan.equals(wanted)) {
            wanted = plan;
            notifyAll();
        }
    }

    /**
     * Builds for each plan offered, on the calling thread, until {@link #take} or {@link #close};
     * the thread does nothing else meanwhile.
     */
    void run() {
        while (true) {
            Plan target;
            Built current;
            synchronized (this) {
                while (!over && (wanted == null || wanted.equals(failed) || (built != null && built.plan.equals(wanted)))) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                if (over) {
                    return;
                }
                target = wanted;
                current = built;
                built = null;
                building = true;
            }
            Built result = null;
            long t0 = System.nanoTime();
            try {
                result = build(target, current);
                if (result != null) {
                    LOG.log(System.Logger.Level.DEBUG, "microVM built ahead of InstanceStart in " + (System.nanoTime() - t0) / 1000
                            + " us: " + target.spec.vcpuCount() + " vCPU(s), " + (target.spec.memSizeBytes() >> 20) + " MiB"
                            + (result.images == null ? ", no kernel yet" : ", kernel " + target.kernel + " loaded"));
                }
            } catch (RuntimeException | VmmException e) {
                LOG.log(System.Logger.Level.DEBUG, "microVM not built ahead (InstanceStart will say why): " + e.getMessage());
                synchronized (this) {
                    failed = target;
                }
            } finally {
                buildEnded(result);
            }
        }
    }

    /** The plan the build at hand was made for, or null while there is none (being built, or none yet). */
    synchronized Plan builtPlan() {
        return built == null ? null : built.plan;
    }

    /** Whether a build for {@code target} should stop: the plan changed, or a start or stop came. */
    private synchronized boolean obsolete(Plan target) {
        return closed || !target.equals(wanted);
    }

    /**
     * The {@code vmm} event loop of {@code vm}, started; a failure of its thread stops the VM. A
     * failed start closes the loop and the VM. One call site for the boot built here, a start
     * built on its own and a snapshot load, so that the AOT training run's boot resolves its
     * lambda for all of them (a load spun it at run time).
     */
    static EventLoop startEventLoop(Vm vm) {
        EventLoop loop = new EventLoop();
        try {
            loop.start("vmm", t -> vm.threadFailed("the vmm event loop", t));
        } catch (RuntimeException e) {
            loop.close();
            vm.close();
            throw e;
        }
        return loop;
    }

    /**
     * {@code current}, completed for {@code target} when it has the same machine and no kernel yet;
     * else a new VM ({@code current} closed). Null when the plan changed meanwhile.
     */
    private Built build(Plan target, Built current) throws VmmException {
        Built b = current;
        if (b != null && !(b.plan.sameMachine(target) && b.images == null)) {
            b.close();
            b = null;
        }
        try {
            if (b == null) {
                Vm vm = factory.create(target);
                EventLoop loop = startEventLoop(vm);
                try {
                    vm.prepareThreads();
                } catch (RuntimeException e) {
                    loop.close();
                    vm.close();
                    throw e;
                }
                b = new Built(target, vm, loop);
            } else {
                b = new Built(target, b.vm, b.loop);
            }
            if (target.kernel != null && !obsolete(target)) {
                b.kernelStamp = FileStamp.of(target.kernel);
                b.initrdStamp = FileStamp.of(target.initrd);
                b.images = X86Boot.loadImages(b.vm.memory(), target.kernel, target.initrd);
                if (!target.pci && !obsolete(target)) {
                    BootEntry entry = X86Boot.writeTables(b.vm.memory(), b.images, target.spec.vcpuCount(), null);
                    b.vm.configureBoot(entry, CpuTemplates.forBoot(target.cpuConfig, target.cpuTemplate));
                    b.entry = entry;
                }
            }
            if (obsolete(target)) {
                b.close();
                return null;
            }
            return b;
        } catch (RuntimeException | VmmException e) {
            if (b != null) {
                b.close();
            }
            throw e;
        }
    }

    /**
     * For InstanceStart: the build for {@code plan} (waiting for one in progress), or null if there
     * is none that fits (a build for another plan, or whose image files changed since, is closed).
     * A build without a kernel is handed over too when its machine fits: the start loads the
     * kernel. From here on nothing more is built.
     */
    Built take(Plan plan) {
        Built b = takeBuilt();
        if (b == null) {
            return null;
        }
        if (plan != null && b.plan.sameMachine(plan) && (b.images == null || b.plan.sameBoot(plan) && b.filesUnchanged())) {
            LOG.log(System.Logger.Level.DEBUG, () -> "InstanceStart takes the microVM built ahead"
                    + (b.images == null ? " (without a kernel: it loads it)" : ""));
            return b;
        }
        LOG.log(System.Logger.Level.DEBUG, "the microVM built ahead does not fit the configuration InstanceStart found; closed");
        b.close();
        return null;
    }

    @Override
    void discard(Built unused) {
        unused.close();
    }
}
