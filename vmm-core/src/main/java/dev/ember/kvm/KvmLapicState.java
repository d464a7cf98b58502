package dev.ember.kvm;

/** {@code struct kvm_lapic_state}: the local APIC register page (KVM_GET/SET_LAPIC). */
@CStruct("kvm_lapic_state")
public final class KvmLapicState extends NativeStruct {
    public static final int SIZE = 1024;
    @CField(value = "regs", size = 1024) public static final int REGS = 0;

    /** Register offsets inside the APIC page (Intel SDM vol. 3, table 11-1). */
    public static final int APIC_ID = 0x20, APIC_SPIV = 0xF0, APIC_LVT_LINT0 = 0x350, APIC_LVT_LINT1 = 0x360;

    /** LVT delivery-mode field, bits 10..8. */
    public static final int LVT_DELIVERY_MODE_MASK = 0x700;
    public static final int DELIVERY_MODE_NMI = 0x4 << 8, DELIVERY_MODE_EXTINT = 0x7 << 8;

    public KvmLapicState() {
        super(SIZE);
    }

    public int register(int offset) {
        return mem.getInt(REGS + offset);
    }

    public void register(int offset, int value) {
        mem.putInt(REGS + offset, value);
    }
}
