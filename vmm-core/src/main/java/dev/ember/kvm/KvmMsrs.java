package dev.ember.kvm;

/** {@code struct kvm_msrs} with room for {@code capacity} {@code kvm_msr_entry} elements. */
@CStruct("kvm_msrs")
public final class KvmMsrs extends NativeStruct {
    public static final int SIZE = 8;
    @CField(value = "nmsrs", size = 4) public static final int NMSRS = 0;
    @CField(value = "entries", size = 0) public static final int ENTRIES = 8;

    private final int capacity;

    public KvmMsrs(int capacity) {
        super(SIZE + capacity * KvmMsrEntry.SIZE);
        this.capacity = capacity;
    }

    public int capacity() {
        return capacity;
    }

    public int count() {
        return mem.getInt(NMSRS);
    }

    public void count(int n) {
        if (n < 0 || n > capacity) {
            throw new IllegalArgumentException("MSR count " + n + " outside 0.." + capacity);
        }
        mem.putInt(NMSRS, n);
    }

    public int index(int i) {
        return mem.getInt(entry(i) + KvmMsrEntry.INDEX);
    }

    public long data(int i) {
        return mem.getLong(entry(i) + KvmMsrEntry.DATA);
    }

    public void set(int i, int msrIndex, long data) {
        int o = entry(i);
        mem.putInt(o + KvmMsrEntry.INDEX, msrIndex);
        mem.putInt(o + KvmMsrEntry.RESERVED, 0);
        mem.putLong(o + KvmMsrEntry.DATA, data);
    }

    /** Appends an entry and bumps {@code nmsrs}. */
    public void add(int msrIndex, long data) {
        int n = count();
        if (n == capacity) {
            throw new IllegalStateException("kvm_msrs is full (" + capacity + " entries)");
        }
        set(n, msrIndex, data);
        mem.putInt(NMSRS, n + 1);
    }

    private int entry(int i) {
        if (i < 0 || i >= capacity) {
            throw new IndexOutOfBoundsException("MSR entry " + i + " of " + capacity);
        }
        return ENTRIES + i * KvmMsrEntry.SIZE;
    }
}
