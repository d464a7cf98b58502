package dev.ember.kvm;

/**
 * {@code struct kvm_cpuid2} with room for {@code capacity} entries: what KVM_GET_SUPPORTED_CPUID
 * fills and KVM_SET_CPUID2 takes. Registers are addressed by the {@link KvmCpuidEntry2} offsets
 * ({@code EAX}, {@code EBX}, {@code ECX}, {@code EDX}).
 */
@CStruct("kvm_cpuid2")
public final class KvmCpuid2 extends NativeStruct {
    public static final int SIZE = 8;
    @CField(value = "nent", size = 4) public static final int NENT = 0;
    @CField(value = "padding", size = 4) public static final int PADDING = 4;
    @CField(value = "entries", size = 0) public static final int ENTRIES = 8;

    /** KVM's own limit on entries (KVM_MAX_CPUID_ENTRIES in the kernel). */
    public static final int MAX_ENTRIES = 256;

    private final int capacity;

    public KvmCpuid2(int capacity) {
        super(SIZE + capacity * KvmCpuidEntry2.SIZE);
        this.capacity = capacity;
        mem.putInt(NENT, capacity);
    }

    public int capacity() {
        return capacity;
    }

    public int count() {
        return mem.getInt(NENT);
    }

    public void count(int n) {
        if (n < 0 || n > capacity) {
            throw new IllegalArgumentException("CPUID entry count " + n + " outside 0.." + capacity);
        }
        mem.putInt(NENT, n);
    }

    public int function(int i) {
        return mem.getInt(entry(i) + KvmCpuidEntry2.FUNCTION);
    }

    public int index(int i) {
        return mem.getInt(entry(i) + KvmCpuidEntry2.INDEX);
    }

    public int flags(int i) {
        return mem.getInt(entry(i) + KvmCpuidEntry2.FLAGS);
    }

    public void flags(int i, int flags) {
        mem.putInt(entry(i) + KvmCpuidEntry2.FLAGS, flags);
    }

    /** Position of the entry for exactly {@code function}/{@code index} (flags not considered), or -1. */
    public int findExact(int function, int index) {
        int n = count();
        for (int i = 0; i < n; i++) {
            if (function(i) == function && index(i) == index) {
                return i;
            }
        }
        return -1;
    }

    /** Reads a register of entry {@code i}; {@code reg} is KvmCpuidEntry2.EAX/EBX/ECX/EDX. */
    public int reg(int i, int reg) {
        return mem.getInt(entry(i) + reg);
    }

    public void reg(int i, int reg, int value) {
        mem.putInt(entry(i) + reg, value);
    }

    /** Position of leaf {@code function} sub-leaf {@code index} (ignored for leaves without sub-leaves), or -1. */
    public int find(int function, int index) {
        int n = count();
        for (int i = 0; i < n; i++) {
            if (function(i) == function
                    && ((flags(i) & KvmCpuidEntry2.FLAG_SIGNIFICANT_INDEX) == 0 || index(i) == index)) {
                return i;
            }
        }
        return -1;
    }

    /** Appends an entry (registers zero) and returns its position. */
    public int add(int function, int index, int flags) {
        int n = count();
        if (n == capacity) {
            throw new IllegalStateException("kvm_cpuid2 is full (" + capacity + " entries)");
        }
        int o = entry(n);
        mem.setMemory(o, KvmCpuidEntry2.SIZE, (byte) 0);
        mem.putInt(o + KvmCpuidEntry2.FUNCTION, function);
        mem.putInt(o + KvmCpuidEntry2.INDEX, index);
        mem.putInt(o + KvmCpuidEntry2.FLAGS, flags);
        mem.putInt(NENT, n + 1);
        return n;
    }

    /** Removes entry {@code i}, moving later entries down. */
    public void remove(int i) {
        int n = count();
        entry(i);
        for (int j = i; j < n - 1; j++) {
            byte[] next = new byte[KvmCpuidEntry2.SIZE];
            mem.get(entry(j + 1), next, 0, next.length);
            mem.put(entry(j), next, 0, next.length);
        }
        mem.putInt(NENT, n - 1);
    }

    /** Copies all entries of {@code other} into this (which must be large enough). */
    public void copyFrom(KvmCpuid2 other) {
        int n = other.count();
        if (n > capacity) {
            throw new IllegalArgumentException("kvm_cpuid2 has room for " + capacity + " entries, source has " + n);
        }
        byte[] b = new byte[n * KvmCpuidEntry2.SIZE];
        other.mem.get(ENTRIES, b, 0, b.length);
        mem.put(ENTRIES, b, 0, b.length);
        mem.putInt(NENT, n);
    }

    private int entry(int i) {
        if (i < 0 || i >= capacity) {
            throw new IndexOutOfBoundsException("CPUID entry " + i + " of " + capacity);
        }
        return ENTRIES + i * KvmCpuidEntry2.SIZE;
    }
}
