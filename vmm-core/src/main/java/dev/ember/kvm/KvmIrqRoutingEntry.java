package dev.ember.kvm;

/**
 * {@code struct kvm_irq_routing_entry}: one GSI's route, to an irqchip pin or an MSI message;
 * entries of one GSI fan out (KVM's default table routes GSIs 0-15 to the PIC and the IOAPIC).
 */
@CStruct("kvm_irq_routing_entry")
public final class KvmIrqRoutingEntry {
    public static final int SIZE = 48;
    @CField(value = "gsi", size = 4) public static final int GSI = 0;
    @CField(value = "type", size = 4) public static final int TYPE = 4;
    @CField(value = "flags", size = 4) public static final int FLAGS = 8;
    @CField(value = "pad", size = 4) public static final int PAD = 12;
    @CField(value = "u", size = 32) public static final int U = 16;
    @CField(value = "u.irqchip.irqchip", size = 4) public static final int IRQCHIP = 16;
    @CField(value = "u.irqchip.pin", size = 4) public static final int PIN = 20;
    @CField(value = "u.msi", size = KvmIrqRoutingMsi.SIZE) public static final int MSI = 16;

    @CConst("KVM_IRQ_ROUTING_IRQCHIP") public static final int TYPE_IRQCHIP = 1;
    @CConst("KVM_IRQ_ROUTING_MSI") public static final int TYPE_MSI = 2;
    @CConst("KVM_IRQCHIP_PIC_MASTER") public static final int PIC_MASTER = 0;
    @CConst("KVM_IRQCHIP_PIC_SLAVE") public static final int PIC_SLAVE = 1;
    @CConst("KVM_IRQCHIP_IOAPIC") public static final int IOAPIC = 2;

    private KvmIrqRoutingEntry() {}
}
