package dev.ember.app;

import dev.ember.config.CacheType;
import dev.ember.config.DriveConfig;
import dev.ember.config.IoEngine;
import dev.ember.config.NetworkInterfaceConfig;
import dev.ember.config.RateLimiterConfig;
import dev.ember.config.VmResources;
import dev.ember.devices.net.TapException;
import dev.ember.devices.ratelimit.RateLimiter;
import dev.ember.devices.ratelimit.TokenBucketConfig;
import dev.ember.devices.virtio.BlockCacheType;
import dev.ember.devices.virtio.BlockDeviceException;
import dev.ember.devices.virtio.BlockIoEngine;
import dev.ember.devices.virtio.VirtioBlock;
import dev.ember.devices.virtio.vhost.VhostUserBlock;
import dev.ember.devices.virtio.vhost.VhostUserException;
import dev.ember.devices.virtio.VirtioDevice;
import dev.ember.devices.virtio.VirtioMmioDevice;
import dev.ember.devices.virtio.VirtioNet;
import dev.ember.devices.virtio.pci.VirtioPciDevice;
import dev.ember.devices.virtio.balloon.VirtioBalloon;
import dev.ember.devices.virtio.mem.HotplugRam;
import dev.ember.devices.virtio.mem.VirtioMem;
import dev.ember.devices.virtio.mem.VirtioMemException;
import dev.ember.devices.virtio.pmem.PmemBackingFile;
import dev.ember.devices.virtio.pmem.PmemException;
import dev.ember.devices.virtio.pmem.VirtioPmem;
import dev.ember.devices.virtio.rng.VirtioRng;
import dev.ember.devices.virtio.vsock.VirtioVsock;
import dev.ember.devices.virtio.vsock.VsockException;
import dev.ember.config.BalloonConfig;
import dev.ember.config.EntropyConfig;
import dev.ember.config.MemoryHotplugConfig;
import dev.ember.config.PmemConfig;
import dev.ember.config.VsockConfig;
import dev.ember.eventloop.EventLoop;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Wires the virtio devices of a microVM as Firecracker lays them out: drives first (the root
 * device first of all, so it is {@code /dev/vda}), then network interfaces, pmem devices (each file mapped above
 * guest RAM as a KVM slot of its own), then vsock, balloon, entropy and virtio-mem (its range after
 * the pmem regions, in KVM slots that come and go as the guest plugs); device n on the
 * virtio-mmio window at {@code 0xd0001000 + n * 0x1000} with GSI {@code 5 + n}, or, with
 * {@code --enable-pci}, each a virtio-pci function on the root complex (slot n + 1, MSI-X), the
 * devices themselves the same on either transport. Maps the configuration records to the device
 * constructors and collects the kernel command-line additions ({@code virtio_mmio.device=...}
 * for MMIO only, {@code root=...}).
 */
final class VirtioDevices implements AutoCloseable {
    /** A device on its transport: what a snapshot saves and what closing releases. */
    private record Attached(dev.ember.snapshot.Snapshottable state, Runnable close) {}

    private final List<Attached> transports = new ArrayList<>();
    private dev.ember.pci.PciRootComplex pci;
    private final Map<String, VirtioBlock> drives = new LinkedHashMap<>();
    private final Map<String, VhostUserBlock> vhostUserDrives = new LinkedHashMap<>();
    private final Map<String, VirtioNet> nets = new LinkedHashMap<>();
    private final Map<String, VirtioPmem> pmems = new LinkedHashMap<>();
    private final StringBuilder cmdline = new StringBuilder();
    private VirtioVsock vsock;
    private VirtioBalloon balloon;
    private VirtioMem memoryHotplug;
    private final EventLoop loop;

    private VirtioDevices(EventLoop loop) {
        this.loop = loop;
    }

    static VirtioDevices attach(Machine m, VmResources resources, dev.ember.mmds.MmdsData mmdsStore, VhostUserDrives connected)
            throws VmmException {
        if (m.pci != null && resources.vhostUserDrives()) {
            // The back-end raises the queue's interrupt through an irqfd; Ember's virtio-pci has per-vector ones it does not hand out.
            throw new VmmException("a vhost-user drive (socket) is served on virtio-mmio only by Ember;"
                    + " start without --enable-pci or give the drive a path_on_host");
        }
        VirtioDevices v = new VirtioDevices(m.loop);
        try {
            for (DriveConfig d : resources.drives()) {
                if (d.vhostUser()) {
                    v.addVhostUser(m, d, connected.take(d));
                    continue;
                }
                VirtioBlock blk = new VirtioBlock(d.driveId(), Path.of(d.pathOnHost()), d.isReadOnly(),
                        d.cacheType() == CacheType.Writeback ? BlockCacheType.WRITEBACK : BlockCacheType.UNSAFE,
                        limiter(d.rateLimiter()), d.ioEngine() == IoEngine.Async ? BlockIoEngine.ASYNC : BlockIoEngine.SYNC);
                v.add(m, blk);
                v.drives.put(d.driveId(), blk);
                if (d.root()) {
                    v.rootArgs(d, d.isReadOnly());
                }
            }
            for (NetworkInterfaceConfig n : resources.networkInterfaces()) {
                VirtioNet net = new VirtioNet(n.ifaceId(), n.hostDevName(), mac(n.guestMac()),
                        n.mtu() == null ? 0 : n.mtu().intValue(), limiter(n.rxRateLimiter()), limiter(n.txRateLimiter()));
                v.add(m, net);
                v.nets.put(n.ifaceId(), net);
            }
            MmdsWiring.attach(resources.mmdsConfig(), v.nets, mmdsStore);
            List<PmemConfig> pmem = resources.pmem();
            for (int i = 0; i < pmem.size(); i++) {
                PmemConfig p = pmem.get(i);
                VirtioPmem device = pmem(m, p);
                v.add(m, device);
                v.pmems.put(p.id(), device);
                if (p.root()) {
                    v.arg("root=/dev/pmem" + i); // the guest numbers them in attach order
                    v.arg(p.isReadOnly() ? "ro" : "rw");
                }
            }
            VsockConfig vc = resources.vsock();
            if (vc != null) {
                v.vsock = new VirtioVsock(vc.guestCid(), vc.udsPath());
                v.add(m, v.vsock);
            }
            BalloonConfig bc = resources.balloon();
            if (bc != null) {
                v.balloon = new VirtioBalloon(bc.amountMib(), bc.deflateOnOom(), bc.statsPollingIntervalS(),
                        bc.freePageHinting(), bc.freePageReporting());
                v.add(m, v.balloon);
            }
            EntropyConfig ec = resources.entropy();
            if (ec != null) {
                v.add(m, new VirtioRng(limiter(ec.rateLimiter())));
            }
            MemoryHotplugConfig mh = resources.memoryHotplug();
            if (mh != null) {
                v.memoryHotplug = memoryHotplug(m, mh);
                v.add(m, v.memoryHotplug);
            }
        } catch (VirtioMemException e) {
            v.close();
            throw new VmmException("Failed to create memory hotplug device: " + e.getMessage());
        } catch (VsockException e) {
            v.close();
            throw new VmmException("Cannot create backend for vsock device: " + e.getMessage());
        } catch (VmmException e) {
            v.close();
            throw e;
        } catch (BlockDeviceException | TapException | IllegalArgumentException e) {
            v.close();
            throw new VmmException(e.getMessage());
        } catch (RuntimeException e) {
            v.close();
            throw e;
        }
        return v;
    }

    /** The file mapped and given its guest region; the device takes both (and releases them on close). */
    private static VirtioPmem pmem(Machine m, PmemConfig p) throws VmmException {
        PmemBackingFile file;
        try {
            file = PmemBackingFile.open(Path.of(p.pathOnHost()), p.isReadOnly());
        } catch (PmemException e) {
            throw new VmmException("Cannot create pmem device: " + e.getMessage() + " (pmem \"" + p.id() + "\")");
        }
        try {
            dev.ember.vm.DeviceMemory region = m.vm.addressSpace().mapDeviceMemory(file.hostAddress(), file.mappedSize(),
                    PmemBackingFile.ALIGNMENT, p.isReadOnly());
            return new VirtioPmem(p.id(), file, region.guestBase(), () -> m.vm.addressSpace().unmapDeviceMemory(region), limiter(p.rateLimiter()));
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /**
     * Linux (x86) onlines hotplugged memory in memory blocks of 128 MiB while the boot memory is
     * under 64 GiB: a region starting on that boundary loses none of its first block.
     */
    static final long LINUX_MEMORY_BLOCK = 128L << 20;

    /**
     * The hotpluggable range: host memory reserved (nothing committed), guest-physical space
     * above RAM and device memory with one KVM slot per slot_size_mib (all absent until the guest
     * plugs a block in them), and guest-memory accesses to it checked against the plugged blocks.
     */
    private static VirtioMem memoryHotplug(Machine m, MemoryHotplugConfig c) {
        long mib = 1L << 20;
        long size = c.totalSizeMib() * mib;
        long block = c.blockSizeMib() * mib;
        long slot = c.slotSizeMib() * mib;
        HotplugRam ram = HotplugRam.reserve(size);
        try {
            dev.ember.vm.HotplugMemory range = m.vm.addressSpace().reserveHotplugMemory(ram.hostAddress(), size, slot,
                    Math.max(LINUX_MEMORY_BLOCK, block));
            VirtioMem device = new VirtioMem(range.guestBase(), ram, block, slot, new VirtioMem.Slots() {
                @Override public void map(int i) { range.map(i); }
                @Override public void unmap(int i) { range.unmap(i); }
            });
            m.vm.memory().attachHotplug(new dev.ember.memory.GuestRegion(range.guestBase(), size, ram.hostAddress()), device::plugged);
            return device;
        } catch (RuntimeException e) {
            ram.close();
            throw e;
        }
    }

    /**
     * A drive a vhost-user back-end serves, {@code blk} connected and negotiated at PUT
     * ({@link VhostUserDrives}), on the transport like any drive, so the guest's letters follow
     * the drives' order either way.
     */
    private void addVhostUser(Machine m, DriveConfig d, VhostUserBlock blk) {
        add(m, blk);
        vhostUserDrives.put(d.driveId(), blk);
        if (d.root()) {
            rootArgs(d, blk.readOnly()); // the back-end decides read-only
        }
    }

    /** The root device on the command line: drives come first, the root one first of them (/dev/vda). */
    private void rootArgs(DriveConfig d, boolean readOnly) {
        arg(d.partuuid() != null ? "root=PARTUUID=" + d.partuuid() : "root=/dev/vda");
        arg(readOnly ? "ro" : "rw");
    }

    private void add(Machine m, VirtioDevice device) {
        int n = transports.size();
        try {
            if (m.pci != null) {
                pci = m.pci;
                VirtioPciDevice f = new VirtioPciDevice(device, m.vm.memory(), m.loop, m.vm, m.vm.interrupts().msiVectors(device.queueCount() + 1));
                transports.add(new Attached(f, f::close));
                m.pci.attach(f);
                return;
            }
            VirtioMmioDevice t = VirtioMmioDevice.attach(device, m.vm.memory(), m.vm.mmioBus(), VirtioMmioDevice.baseFor(n), m.vm,
                    m.vm.interrupts().irqLine(VirtioMmioDevice.irqFor(n)), m.loop);
            transports.add(new Attached(t, t::close));
            arg(t.kernelCommandLineArgument());
        } catch (RuntimeException e) {
            if (transports.size() == n) {
                device.close();
            }
            throw e;
        }
    }

    private void arg(String a) {
        cmdline.append(' ').append(a);
    }

    /** What the kernel command line needs for these devices (leading space, or empty). */
    String commandLineArguments() {
        return cmdline.toString();
    }

    static RateLimiter limiter(RateLimiterConfig c) {
        if (c == null) {
            return null;
        }
        return new RateLimiter(bucket(c.bandwidth()), bucket(c.ops()));
    }

    /** Config bucket to device bucket; a missing bucket stays null (unchanged on update). */
    static TokenBucketConfig bucket(dev.ember.config.TokenBucketConfig b) {
        if (b == null) {
            return null;
        }
        return new TokenBucketConfig(b.size() == null ? 0 : b.size(), b.oneTimeBurst() == null ? 0 : b.oneTimeBurst(),
                b.refillTime() == null ? 0 : b.refillTime());
    }

    static byte[] mac(String s) {
        if (s == null) {
            return null;
        }
        byte[] b = new byte[6];
        for (int i = 0; i < 6; i++) {
            b[i] = (byte) Integer.parseInt(s.substring(3 * i, 3 * i + 2), 16);
        }
        return b;
    }

    /**
     * PATCH /drives: the backing file opened again (new or resized) and/or new rate limiter
     * buckets; for a vhost-user drive, its configuration space read from the back-end again.
     */
    void updateDrive(DriveConfig d, boolean reopenFile) throws VmmException {
        VhostUserBlock vhostUser = vhostUserDrives.get(d.driveId());
        if (vhostUser != null) {
            try {
                vhostUser.refreshConfig(); // the PATCH names drive_id alone: the back-end's config, read again
            } catch (VhostUserException e) {
                throw new VmmException(e.getMessage());
            }
            return;
        }
        VirtioBlock blk = drives.get(d.driveId());
        if (blk == null) {
            throw new VmmException("drive '" + d.driveId() + "' is not attached to the running microVM");
        }
        if (reopenFile) {
            try {
                blk.updatePath(Path.of(d.pathOnHost()));
            } catch (BlockDeviceException e) {
                throw new VmmException(e.getMessage());
            }
        }
        updateOnLoop(blk.rateLimiter(), d.rateLimiter());
    }

    /** PATCH /pmem: new rate limiter buckets for the device's flushes. */
    void updatePmemRateLimiter(PmemConfig p) throws VmmException {
        VirtioPmem device = pmems.get(p.id());
        if (device == null) {
            throw new VmmException("pmem '" + p.id() + "' is not attached to the running microVM");
        }
        updateOnLoop(device.rateLimiter(), p.rateLimiter());
    }

    /** PATCH /network-interfaces: new rx/tx rate limiter buckets. */
    void updateNetworkRateLimiters(NetworkInterfaceConfig n) throws VmmException {
        VirtioNet net = nets.get(n.ifaceId());
        if (net == null) {
            throw new VmmException("network interface '" + n.ifaceId() + "' is not attached to the running microVM");
        }
        updateOnLoop(net.rxRateLimiter(), n.rxRateLimiter());
        updateOnLoop(net.txRateLimiter(), n.txRateLimiter());
    }

    /** Rate limiters belong to the event loop: new buckets are handed to it, not set from this thread. */
    private void updateOnLoop(RateLimiter limiter, RateLimiterConfig r) {
        if (r != null) {
            TokenBucketConfig bandwidth = bucket(r.bandwidth());
            TokenBucketConfig ops = bucket(r.ops());
            loop.execute(() -> limiter.update(bandwidth, ops));
        }
    }

    /** The balloon's host-side operations (PATCH /balloon, statistics, hinting); refuses them all without one. */
    BalloonControl balloon() {
        return new BalloonControl(balloon);
    }

    /**
     * Reads the plugged blocks of the hotpluggable range from a snapshot's memory file, where the
     * range follows {@code ramBytes} of RAM. After {@link #restoreState}, before the vCPUs run.
     */
    void loadHotplugMemory(Path memoryFile, long ramBytes) throws VmmException {
        if (memoryHotplug == null) {
            return;
        }
        int fd = dev.ember.sys.Native.LIBC.open(memoryFile.toString(), dev.ember.sys.LibC.O_RDONLY | dev.ember.sys.LibC.O_CLOEXEC, 0);
        if (fd < 0) {
            throw new VmmException("snapshot memory file " + memoryFile + " cannot be opened: "
                    + dev.ember.sys.Native.LIBC.strerror(dev.ember.sys.Native.errno()));
        }
        try {
            memoryHotplug.loadPlugged(fd, ramBytes);
        } catch (VirtioMemException e) {
            throw new VmmException("snapshot memory file " + memoryFile + ": " + e.getMessage());
        } finally {
            dev.ember.sys.Native.LIBC.close(fd);
        }
    }

    /** The virtio-mem device's host-side operations (PATCH/GET /hotplug/memory); refuses them all without one. */
    MemoryHotplugControl memoryHotplug() {
        return new MemoryHotplugControl(memoryHotplug);
    }

    /**
     * Completes every block request still in flight on an Async drive, so a snapshot taken
     * next holds no half-done request. Event-loop thread, vCPUs paused.
     */
    void drainInFlight() {
        for (VirtioBlock b : drives.values()) {
            b.drainInFlight();
        }
    }

    /** One section per transport, {@code virtio0}, {@code virtio1}, ... in attach order. Event-loop thread. */
    void saveState(dev.ember.snapshot.StateSections out) {
        if (pci != null) {
            out.put(Snapshots.VIRTIO_PCI, new byte[0]); // the sections below are virtio-pci functions
        }
        for (int i = 0; i < transports.size(); i++) {
            out.put(Snapshots.VIRTIO_PREFIX + i, transports.get(i).state());
        }
    }

    /** Restores every transport from its section; the recorded configuration built the same devices. Event-loop thread. */
    void restoreState(dev.ember.snapshot.StateSections in) {
        boolean savedWithPci = in.has(Snapshots.VIRTIO_PCI);
        if (!transports.isEmpty() && savedWithPci != (pci != null)) {
            throw new dev.ember.snapshot.SnapshotFormatException(savedWithPci
                    ? "the snapshot's virtio devices are on PCI: load it in a VMM started with --enable-pci"
                    : "the snapshot's virtio devices are on virtio-mmio: load it in a VMM started without --enable-pci");
        }
        for (int i = 0; i < transports.size(); i++) {
            in.restore(Snapshots.VIRTIO_PREFIX + i, transports.get(i).state());
        }
        if (pci != null) {
            pci.restored(); // each BAR where its restored header says, the notify ioeventfds with it
        }
        if (in.has(Snapshots.VIRTIO_PREFIX + transports.size())) {
            throw new dev.ember.snapshot.SnapshotFormatException("the snapshot holds more virtio devices than its configuration"
                    + " describes (" + transports.size() + ")");
        }
        if (vsock != null) {
            // Host connections did not survive the snapshot: the guest must drop its own (Firecracker's behaviour).
            vsock.sendTransportReset();
        }
    }

    /** Releases files and TAPs; the event loop must already be stopped. */
    @Override
    public void close() {
        for (Attached t : transports) {
            t.close().run();
        }
        transports.clear();
    }
}
