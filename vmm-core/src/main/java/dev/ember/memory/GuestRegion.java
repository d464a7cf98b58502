package dev.ember.memory;

/** One contiguous range of guest RAM backed by one host mapping. */
public final class GuestRegion {
    private final long guestBase;
    private final long size;
    private final long hostAddress;

    public GuestRegion(long guestBase, long size, long hostAddress) {
        this.guestBase = guestBase;
        this.size = size;
        this.hostAddress = hostAddress;
    }

    public long guestBase() { return guestBase; }
    public long size() { return size; }
    public long hostAddress() { return hostAddress; }
    public long guestEnd() { return guestBase + size; }

    boolean contains(long gpa, long len) {
        return gpa >= guestBase && len >= 0 && gpa - guestBase <= size - len;
    }
}
