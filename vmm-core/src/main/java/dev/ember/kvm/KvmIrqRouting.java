package dev.ember.kvm;

/**
 * {@code struct kvm_irq_routing} with room for {@code capacity} entries: the whole GSI routing
 * table KVM_SET_GSI_ROUTING installs (it replaces the table, so every route is in it each time).
 */
@CStruct("kvm_irq_routing")
public final class KvmIrqRouting extends NativeStruct {
    public static final int SIZE = 8;
    @CField(value = "nr", size = 4) public static final int NR = 0;
    @CField(value = "flags", size = 4) public static final int FLAGS = 4;
    @CField(value = "entries", size = 0) public static final int ENTRIES = 8;

    private final int capacity;

    public KvmIrqRouting(int capacity) {
        super(SIZE + capacity * KvmIrqRoutingEntry.SIZE);
        this.capacity = capacity;
    }

    public int capacity() {
        return capacity;
    }

    public int count() {
        return mem.getInt(NR);
    }

    /** Empties the table. */
    public void reset() {
        mem.putInt(NR, 0);
    }

    /** Appends a route of {@code gsi} to pin {@code pin} of {@code irqchip} (KvmIrqRoutingEntry.PIC_MASTER...). */
    public void addIrqchip(int gsi, int irqchip, int pin) {
        int o = append(gsi, KvmIrqRoutingEntry.TYPE_IRQCHIP);
        mem.putInt(o + KvmIrqRoutingEntry.IRQCHIP, irqchip);
        mem.putInt(o + KvmIrqRoutingEntry.PIN, pin);
    }

    /** Appends a route of {@code gsi} to the MSI message {@code address}/{@code data}. */
    public void addMsi(int gsi, long address, int data) {
        int o = append(gsi, KvmIrqRoutingEntry.TYPE_MSI) + KvmIrqRoutingEntry.MSI;
        mem.putInt(o + KvmIrqRoutingMsi.ADDRESS_LO, (int) address);
        mem.putInt(o + KvmIrqRoutingMsi.ADDRESS_HI, (int) (address >>> 32));
        mem.putInt(o + KvmIrqRoutingMsi.DATA, data);
    }

    /** Entry {@code i}'s field at {@code offset} (a KvmIrqRoutingEntry constant, MSI fields from its MSI offset). */
    public int entryField(int i, int offset) {
        if (i < 0 || i >= count()) {
            throw new IndexOutOfBoundsException("routing entry " + i + " of " + count());
        }
        return mem.getInt(ENTRIES + i * KvmIrqRoutingEntry.SIZE + offset);
    }

    private int append(int gsi, int type) {
        int n = count();
        if (n == capacity) {
            throw new IllegalStateException("kvm_irq_routing is full (" + capacity + " entries)");
        }
        int o = ENTRIES + n * KvmIrqRoutingEntry.SIZE;
        mem.setMemory(o, KvmIrqRoutingEntry.SIZE, (byte) 0);
        mem.putInt(o + KvmIrqRoutingEntry.GSI, gsi);
        mem.putInt(o + KvmIrqRoutingEntry.TYPE, type);
        mem.putInt(NR, n + 1);
        return o;
    }
}
