package dev.ember.vm;

import dev.ember.kvm.Kvm;
import dev.ember.kvm.KvmCap;
import dev.ember.kvm.KvmUserspaceMemoryRegion;
import dev.ember.kvm.VmFd;
import dev.ember.log.Log;
import dev.ember.memory.GuestMemory;
import dev.ember.memory.GuestRegion;
import dev.ember.sys.Native;
import dev.ember.sys.NativeMemory;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;

/**
 * The VM's guest-physical address space as KVM sees it: RAM's memory slots first (slot i is
 * region i of {@link GuestMemory}, which is how a dirty log finds its region), then the ranges
 * above RAM and the MMIO gap (a PCI window, device memory, hotpluggable memory), placed in call
 * order with slot numbers after RAM's. Nothing placed there ever moves, so a snapshot load that
 * replays the configuration's calls gets the addresses the snapshot's VM had. Any thread.
 */
public final class GuestAddressSpace {
    private static final Logger LOG = Log.logger(GuestAddressSpace.class);

    private final Kvm kvm;
    private final VmFd vmFd;
    private final GuestMemory memory;
    /** Device memory slots (after RAM's); guarded by this. */
    private final List<DeviceMemory> deviceMemory = new ArrayList<>();
    /** Where the next range above RAM goes; guarded by this. */
    private long nextDeviceMemory;
    /** The next free KVM slot number; guarded by this. */
    private int nextSlot;
    /** Set as the VM starts closing: its fd is about to go, so slot changes do nothing; guarded by this. */
    private boolean vmClosing;

    private GuestAddressSpace(Kvm kvm, VmFd vmFd, GuestMemory memory) {
        this.kvm = kvm;
        this.vmFd = vmFd;
        this.memory = memory;
        this.nextDeviceMemory = Math.max(memory.end(), GuestMemory.MMIO_GAP_END);
        this.nextSlot = memory.regions().size();
    }

    /**
     * Gives every RAM region of {@code memory} its KVM slot; with {@code trackDirtyPages} the slots
     * log the guest's writes (KVM_MEM_LOG_DIRTY_PAGES) and {@code memory} records the VMM's.
     */
    static GuestAddressSpace withRam(Kvm kvm, VmFd vmFd, GuestMemory memory, boolean trackDirtyPages) {
        int slot = 0;
        int slotFlags = trackDirtyPages ? KvmUserspaceMemoryRegion.MEM_LOG_DIRTY_PAGES : 0;
        for (GuestRegion r : memory.regions()) {
            vmFd.setUserMemoryRegion(slot++, slotFlags, r.guestBase(), r.size(), r.hostAddress());
        }
        if (trackDirtyPages) {
            memory.trackDirtyPages();
        }
        return new GuestAddressSpace(kvm, vmFd, memory);
    }

    /** How many KVM slots RAM takes (the numbers below that). */
    int ramSlots() {
        return memory.regions().size();
    }

    /**
     * Reserves {@code size} bytes of guest-physical address space above RAM and device memory,
     * at a multiple of {@code alignment}, backed by nothing (a PCI window for BARs). Placed in
     * call order like device memory, so the same calls give the same address.
     */
    public synchronized long reserveAddressSpace(long size, long alignment) {
        if (size <= 0 || alignment <= 0 || Long.bitCount(alignment) != 1) {
            throw new IllegalArgumentException(String.format("address space of 0x%x bytes aligned to 0x%x", size, alignment));
        }
        long base = (nextDeviceMemory + alignment - 1) & -alignment;
        nextDeviceMemory = base + size;
        return base;
    }

    /**
     * Device memory (a virtio-pmem file's mapping): host memory {@code [hostAddress, +size)}
     * becomes guest-physical memory of its own KVM slot, placed above RAM and above 4 GiB (clear
     * of the MMIO gap) at the next multiple of {@code alignment}; with {@code readOnly} the slot
     * is KVM_MEM_READONLY and a guest write exits to the MMIO bus instead. Returns the guest
     * address. Regions are never moved, so the same calls in the same order (a snapshot load
     * replaying the configuration) give the same addresses.
     *
     * @throws VmConfigurationException the host KVM cannot map it (no read-only slots, no slot left)
     */
    public synchronized DeviceMemory mapDeviceMemory(long hostAddress, long size, long alignment, boolean readOnly) {
        if (size <= 0 || alignment <= 0 || Long.bitCount(alignment) != 1 || (size & 0xFFF) != 0 || (hostAddress & 0xFFF) != 0) {
            throw new IllegalArgumentException(String.format("device memory of 0x%x bytes at host 0x%x aligned to 0x%x", size, hostAddress, alignment));
        }
        if (readOnly && kvm.checkExtension(KvmCap.READONLY_MEM) <= 0) {
            throw new VmConfigurationException("host KVM lacks KVM_CAP_READONLY_MEM, which read-only device memory needs;"
                    + " map it read-write or use a newer host kernel");
        }
        int slot = reserveSlots(1);
        long guestBase = (nextDeviceMemory + alignment - 1) & -alignment;
        vmFd.setUserMemoryRegion(slot, readOnly ? KvmUserspaceMemoryRegion.MEM_READONLY : 0, guestBase, size, hostAddress);
        DeviceMemory region = new DeviceMemory(slot, guestBase, size, readOnly);
        deviceMemory.add(region);
        nextSlot++;
        nextDeviceMemory = guestBase + size;
        LOG.log(Level.INFO, String.format("device memory: slot %d at guest 0x%x, %d KiB%s", slot, guestBase, size >> 10,
                readOnly ? ", read-only" : ""));
        return region;
    }

    /**
     * Removes a slot {@link #mapDeviceMemory} made, so its host mapping may be unmapped. The
     * address range is not reused. Idempotent; nothing to do once the VM is closed.
     */
    public synchronized void unmapDeviceMemory(DeviceMemory region) {
        if (vmClosing || !deviceMemory.contains(region) || region.removed) {
            return;
        }
        vmFd.setUserMemoryRegion(region.slot(), 0, region.guestBase(), 0, 0);
        region.removed = true;
    }

    /**
     * Hotpluggable memory (virtio-mem): host memory {@code [hostAddress, +size)} gets a range of
     * guest-physical space above RAM and device memory, at the next multiple of {@code alignment},
     * split into {@code size / slotSize} KVM slots that are all absent until
     * {@link HotplugMemory#map} puts one in. Placed once, like device memory, so the same calls in
     * the same order give the same address.
     *
     * @throws VmConfigurationException KVM has fewer free slots than the range needs
     */
    public synchronized HotplugMemory reserveHotplugMemory(long hostAddress, long size, long slotSize, long alignment) {
        if (size <= 0 || slotSize <= 0 || size % slotSize != 0 || (slotSize & 0xFFF) != 0 || (hostAddress & 0xFFF) != 0
                || alignment <= 0 || Long.bitCount(alignment) != 1) {
            throw new IllegalArgumentException(String.format("hotplug memory of 0x%x bytes in slots of 0x%x at host 0x%x aligned to 0x%x",
                    size, slotSize, hostAddress, alignment));
        }
        int slots = Math.toIntExact(size / slotSize);
        int first = reserveSlots(slots);
        long guestBase = (nextDeviceMemory + alignment - 1) & -alignment;
        nextSlot += slots;
        nextDeviceMemory = guestBase + size;
        LOG.log(Level.INFO, String.format("hotplug memory: slots %d..%d at guest 0x%x, %d MiB", first, first + slots - 1, guestBase,
                size >> 20));
        return new HotplugMemory(this, first, guestBase, slotSize, hostAddress, slots);
    }

    /** The first of {@code count} free slot numbers (not yet taken), or a refusal when KVM has too few. */
    private int reserveSlots(int count) {
        int maxSlots = kvm.checkExtension(KvmCap.NR_MEMSLOTS);
        if (maxSlots > 0 && (long) nextSlot + count > maxSlots) {
            throw new VmConfigurationException("host KVM allows " + maxSlots + " memory slots and " + nextSlot + " are in use, "
                    + count + " more are needed; configure fewer devices or larger memory-hotplug slots");
        }
        return nextSlot;
    }

    /**
     * Puts a hotplug slot {@link HotplugMemory} owns into the guest's memory or takes it out;
     * false, changing nothing, once the VM is closing. The caller holds this object's lock.
     */
    boolean setHotplugSlot(int slot, long guestBase, long size, long hostAddress) {
        if (vmClosing) {
            return false;
        }
        vmFd.setUserMemoryRegion(slot, 0, guestBase, size, hostAddress);
        return true;
    }

    /** The VM is closing: from here slot changes do nothing, as its fd is about to close. */
    synchronized void vmClosing() {
        vmClosing = true;
    }

    /** True if the VM was created with dirty page tracking. */
    public boolean tracksDirtyPages() {
        return memory.tracksDirtyPages();
    }

    /**
     * The pages written since the previous call (or since creation), one bitmap per memory
     * region (bit p of word p/64 = page p): the guest's writes from KVM_GET_DIRTY_LOG, ORed with
     * the VMM's own. Both logs start over. Call while paused, so nothing writes meanwhile.
     */
    public long[][] takeDirtyPages() {
        if (!memory.tracksDirtyPages()) {
            throw new IllegalStateException("the VM was created without dirty page tracking");
        }
        List<GuestRegion> regions = memory.regions();
        long[][] out = new long[regions.size()][];
        for (int i = 0; i < out.length; i++) {
            int words = memory.bitmapWords(i);
            NativeMemory buf = Native.allocate(words * 8);
            vmFd.getDirtyLog(i, buf.address());
            long[] bitmap = new long[words];
            for (int w = 0; w < words; w++) {
                bitmap[w] = buf.getLong(8L * w);
            }
            memory.takeVmmDirtyPages(i, bitmap);
            out[i] = bitmap;
        }
        return out;
    }
}
