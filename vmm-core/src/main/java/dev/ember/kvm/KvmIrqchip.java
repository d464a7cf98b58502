package dev.ember.kvm;

/** {@code struct kvm_irqchip} (KVM_GET/SET_IRQCHIP): the state of one PIC or the IOAPIC, kept opaque. */
@CStruct("kvm_irqchip")
public final class KvmIrqchip extends NativeStruct {
    public static final int SIZE = 520;
    @CField(value = "chip_id", size = 4) public static final int CHIP_ID = 0;
    @CField(value = "pad", size = 4) public static final int PAD = 4;
    @CField(value = "chip", size = 512) public static final int CHIP = 8;

    @CConst("KVM_IRQCHIP_PIC_MASTER") public static final int PIC_MASTER = 0;
    @CConst("KVM_IRQCHIP_PIC_SLAVE") public static final int PIC_SLAVE = 1;
    @CConst("KVM_IRQCHIP_IOAPIC") public static final int IOAPIC = 2;

    public KvmIrqchip() {
        super(SIZE);
    }

    public int chipId() {
        return mem.getInt(CHIP_ID);
    }

    public void chipId(int id) {
        mem.putInt(CHIP_ID, id);
    }
}
