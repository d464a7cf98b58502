package dev.ember.vm;

/**
 * A hotpluggable range's KVM slots ({@link GuestAddressSpace#reserveHotplugMemory}): each is in
 * the guest's physical memory only between {@link #map} and {@link #unmap} (an access outside
 * them exits to the MMIO bus, where nothing answers). Any thread; KVM takes slot changes while
 * vCPUs run.
 */
public final class HotplugMemory {
    /** Whose lock guards {@link #mapped}, as it does every other slot change. */
    private final GuestAddressSpace space;
    private final int firstSlot;
    private final long guestBase;
    private final long slotSize;
    private final long hostAddress;
    private final boolean[] mapped;

    HotplugMemory(GuestAddressSpace space, int firstSlot, long guestBase, long slotSize, long hostAddress, int slots) {
        this.space = space;
        this.firstSlot = firstSlot;
        this.guestBase = guestBase;
        this.slotSize = slotSize;
        this.hostAddress = hostAddress;
        this.mapped = new boolean[slots];
    }

    public long guestBase() { return guestBase; }
    public long slotSize() { return slotSize; }
    public int slotCount() { return mapped.length; }
    /** The KVM slot number of slot {@code i} of this range. */
    public int kvmSlot(int i) { return firstSlot + i; }

    public boolean isMapped(int i) {
        synchronized (space) {
            return mapped[i];
        }
    }

    /** Puts slot {@code i} into the guest's memory (no-op when it is there). */
    public void map(int i) {
        set(i, true);
    }

    /** Takes slot {@code i} out of the guest's memory (no-op when it is out, or the VM is closed). */
    public void unmap(int i) {
        set(i, false);
    }

    private void set(int i, boolean present) {
        synchronized (space) {
            if (mapped[i] == present) {
                return;
            }
            long offset = i * slotSize;
            if (space.setHotplugSlot(firstSlot + i, guestBase + offset, present ? slotSize : 0, present ? hostAddress + offset : 0)) {
                mapped[i] = present;
            }
        }
    }
}
