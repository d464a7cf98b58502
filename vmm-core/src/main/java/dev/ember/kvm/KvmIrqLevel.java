package dev.ember.kvm;

/** {@code struct kvm_irq_level} (KVM_IRQ_LINE): drive a GSI high or low. */
@CStruct("kvm_irq_level")
public final class KvmIrqLevel extends NativeStruct {
    public static final int SIZE = 8;
    @CField(value = "irq", size = 4) public static final int IRQ = 0;
    @CField(value = "level", size = 4) public static final int LEVEL = 4;

    public KvmIrqLevel() {
        super(SIZE);
    }

    public void set(int irq, int level) {
        mem.putInt(IRQ, irq);
        mem.putInt(LEVEL, level);
    }
}
