package dev.ember.vm;

/** One device memory slot ({@link GuestAddressSpace#mapDeviceMemory}): where the guest sees it. */
public final class DeviceMemory {
    private final int slot;
    private final long guestBase;
    private final long size;
    private final boolean readOnly;
    /** Guarded by the {@link GuestAddressSpace} that made it. */
    boolean removed;

    DeviceMemory(int slot, long guestBase, long size, boolean readOnly) {
        this.slot = slot;
        this.guestBase = guestBase;
        this.size = size;
        this.readOnly = readOnly;
    }

    public int slot() { return slot; }
    public long guestBase() { return guestBase; }
    public long size() { return size; }
    public boolean readOnly() { return readOnly; }
}
