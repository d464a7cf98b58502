package dev.ember.app;

import dev.ember.arch.x86.BootEntry;
import dev.ember.arch.x86.X86Boot;
import dev.ember.config.BootSourceConfig;
import dev.ember.config.HugePages;
import dev.ember.config.MachineConfig;
import dev.ember.config.MemoryHotplugConfig;
import dev.ember.config.VmResources;
import dev.ember.eventloop.EventLoop;
import dev.ember.memory.GuestMemory;
import dev.ember.memory.HugePagesUnavailableException;
import dev.ember.memory.RamBacking;
import dev.ember.pci.PciLayout;
import dev.ember.pci.PciRootComplex;
import dev.ember.pci.PciWindow;
import dev.ember.vm.Vm;
import dev.ember.vm.VmShell;
import dev.ember.vm.VmSpec;
import dev.ember.vm.x86.CpuTemplateException;
import dev.ember.vm.x86.GuestCpuTemplate;
import java.nio.file.Path;

/**
 * Builds a {@link Machine} from a configuration: the one place a boot ({@link #forBoot}) and a
 * snapshot load ({@link SnapshotLoader}, through {@link #createVm} and {@link #assemble}) take
 * their VM, event loop and devices from, so a loaded machine is wired as the booted one was and
 * finds its devices where the snapshot recorded them.
 */
final class MachineBuilder {
    /** Used when boot-source has no boot_args: a serial console and a clean reboot path, no PCI. */
    static final String DEFAULT_BOOT_ARGS =
            "console=ttyS0 reboot=k panic=1 pci=off nomodule i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd";
    /** The same with --enable-pci: without {@code pci=off}, which would hide every device. */
    static final String DEFAULT_BOOT_ARGS_PCI = DEFAULT_BOOT_ARGS.replace(" pci=off", "");

    private final long vmmStartNanos;
    private final VmShellAhead shellAhead;
    private final VhostUserDrives vhostUser;

    /**
     * {@code shellAhead} gives every VM built here its shell; the boot timer counts from
     * {@code vmmStartNanos}; vhost-user drives are taken from {@code vhostUser}, connected at PUT.
     */
    MachineBuilder(long vmmStartNanos, VmShellAhead shellAhead, VhostUserDrives vhostUser) {
        this.vmmStartNanos = vmmStartNanos;
        this.shellAhead = shellAhead;
        this.vhostUser = vhostUser;
    }

    static VmSpec spec(VmResources resources) {
        MachineConfig mc = resources.machineConfig();
        return new VmSpec(mc.vcpuCount().intValue(), mc.memSizeMib() << 20, mc.smt());
    }

    /** The VM {@link BootAhead} builds for {@code plan}: memory slots and vCPUs on the shell built ahead. */
    Vm vmAhead(BootAhead.Plan plan) throws VmmException {
        HostMemory.requireBackable(plan.spec().memSizeBytes() >> 20);
        return createVm(plan.spec(), guestRam(plan.spec(), plan.hugePages()), plan.trackDirtyPages());
    }

    /**
     * The VM plus its event loop and devices, as {@code resources} describes them; nothing loaded
     * or running yet. {@code live} is the process's own configuration, whose MMDS store the
     * guest reads (after a snapshot load {@code resources} is the recorded one).
     */
    Machine assemble(Vm vm, VmResources resources, VmResources live) throws VmmException {
        return assemble(vm, BootAhead.startEventLoop(vm), resources, live);
    }

    /** {@link #assemble(Vm, VmResources, VmResources)} around an event loop already started for {@code vm}. */
    private Machine assemble(Vm vm, EventLoop loop, VmResources resources, VmResources live) throws VmmException {
        Machine m = new Machine(vm, loop);
        try {
            LegacyDevices.attach(m, resources, vmmStartNanos);
            if (live.pciEnabled()) {
                m.pci = pciRootComplex(vm);
            }
            m.virtio = VirtioDevices.attach(m, resources, live.mmds()::read, vhostUser);
            return m;
        } catch (RuntimeException | VmmException e) {
            m.close();
            throw e;
        }
    }

    /**
     * Bus 0 with its ECAM window, the 32-bit BAR window in the MMIO gap and a 64-bit one placed
     * before any device memory (pmem, virtio-mem), so a boot and a snapshot load place them alike.
     */
    private static PciRootComplex pciRootComplex(Vm vm) {
        long mmio64 = vm.addressSpace().reserveAddressSpace(PciLayout.MMIO64_SIZE, PciLayout.MMIO64_ALIGNMENT);
        return new PciRootComplex(vm.mmioBus(), new PciWindow("32-bit", PciLayout.MMIO32_BASE, PciLayout.MMIO32_SIZE),
                new PciWindow("64-bit", mmio64, PciLayout.MMIO64_SIZE));
    }

    /**
     * Guest RAM a vhost-user back-end can map: one memfd mapped shared (Firecracker backs guest
     * memory the same way when a vhost-user device is configured). 4 KiB pages only here, and no
     * hotpluggable range: that is private memory outside the memfd, so a request whose buffer the
     * guest placed in plugged memory would name an address the back-end never mapped.
     */
    static GuestMemory sharedRam(VmSpec spec, HugePages hugePages, MemoryHotplugConfig hotplug) throws VmmException {
        if (hugePages != null && hugePages != HugePages.None) {
            throw new VmmException("machine-config.huge_pages " + hugePages + " with a vhost-user drive is not supported by Ember:"
                    + " guest memory shared with the back-end is a memfd of 4 KiB pages; set huge_pages to None");
        }
        if (hotplug != null) {
            throw new VmmException("memory hotplug (PUT /hotplug/memory) with a vhost-user drive is not supported by Ember:"
                    + " the hotpluggable range is not in the memory shared with the back-end, which could not reach"
                    + " buffers the guest places there; give the drive a path_on_host or leave hotplug out");
        }
        return GuestMemory.createShared(spec.memSizeBytes());
    }

    /** Guest RAM backed as machine-config.huge_pages says; a short hugetlbfs pool is the user's to fix. */
    static GuestMemory guestRam(VmSpec spec, HugePages hugePages) throws VmmException {
        RamBacking backing = hugePages == HugePages.Hugetlbfs2M ? RamBacking.HUGETLBFS_2M
                : hugePages == HugePages.Transparent ? RamBacking.TRANSPARENT : RamBacking.PAGES_4K;
        try {
            return GuestMemory.create(spec.memSizeBytes(), backing);
        } catch (HugePagesUnavailableException e) {
            throw new VmmException("machine-config.huge_pages is 2M: " + e.getMessage());
        }
    }

    /**
     * The machine InstanceStart starts, kernel loaded and vCPUs in their boot state; on {@code ahead}
     * (what {@link BootAhead} built for this configuration, or null) when there is one. Closed on failure.
     */
    Machine forBoot(VmResources resources, BootAhead.Built ahead) throws VmmException {
        BootSourceConfig boot = resources.bootSource();
        if (ahead == null) {
            HostMemory.requireBackable(resources.machineConfig().memSizeMib()); // a build ahead checked it already
        }
        VmSpec spec = spec(resources);
        Machine m;
        if (ahead != null) {
            m = assemble(ahead.vm, ahead.loop, resources, resources);
        } else {
            boolean track = Boolean.TRUE.equals(resources.machineConfig().trackDirtyPages());
            GuestMemory ram = resources.vhostUserDrives()
                    ? sharedRam(spec, resources.machineConfig().hugePages(), resources.memoryHotplug())
                    : guestRam(spec, resources.machineConfig().hugePages());
            m = assemble(createVm(spec, ram, track), resources, resources);
        }
        try {
            String cmdline = commandLine(boot, m.pci != null) + m.virtio.commandLineArguments();
            Path initrd = boot.initrdPath() == null ? null : Path.of(boot.initrdPath());
            m.kernel = Path.of(boot.kernelImagePath());
            if (ahead != null && ahead.entry() != null) {
                // Tables written and vCPUs in their boot state ahead: only the devices' command line is left.
                X86Boot.writeCommandLine(m.vm.memory(), ahead.images(), cmdline);
                return m;
            }
            X86Boot.Images images = ahead != null && ahead.images() != null ? ahead.images()
                    : X86Boot.loadImages(m.vm.memory(), m.kernel, initrd);
            BootEntry entry = X86Boot.finish(m.vm.memory(), images, cmdline, spec.vcpuCount(),
                    m.pci == null ? null : m.pci.resources());
            GuestCpuTemplate template = CpuTemplates.forBoot(resources);
            try {
                m.vm.configureBoot(entry, template);
            } catch (CpuTemplateException e) {
                String refusal = CpuTemplates.refusal(template, e, m.vm.hostCpuVendor());
                m.close();
                throw new VmmException(refusal);
            }
            return m;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** The VM on the shell built ahead if there is one; {@code memory} is the VM's (closed on failure). */
    Vm createVm(VmSpec spec, GuestMemory memory, boolean track) {
        VmShell shell;
        try {
            shell = shellAhead.take();
        } catch (RuntimeException e) {
            memory.close();
            throw e;
        }
        return Vm.create(shell, spec, memory, track);
    }

    /**
     * boot_args (or the default), with {@code pci=off} added when PCI is off and the arguments do
     * not say it already, as Firecracker does: the kernel then skips probing for a bus that is
     * not there.
     */
    static String commandLine(BootSourceConfig boot, boolean pci) {
        String args = boot.bootArgs();
        if (args == null || args.isBlank()) {
            return pci ? DEFAULT_BOOT_ARGS_PCI : DEFAULT_BOOT_ARGS;
        }
        args = args.trim();
        return pci || (" " + args + " ").contains(" pci=off ") ? args : args + " pci=off";
    }
}
