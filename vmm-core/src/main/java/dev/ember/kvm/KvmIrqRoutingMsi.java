package dev.ember.kvm;

/** {@code struct kvm_irq_routing_msi}: the message an MSI route raises (the u.msi member of a routing entry). */
@CStruct("kvm_irq_routing_msi")
public final class KvmIrqRoutingMsi {
    public static final int SIZE = 16;
    @CField(value = "address_lo", size = 4) public static final int ADDRESS_LO = 0;
    @CField(value = "address_hi", size = 4) public static final int ADDRESS_HI = 4;
    @CField(value = "data", size = 4) public static final int DATA = 8;
    @CField(value = "pad", size = 4) public static final int PAD = 12;

    private KvmIrqRoutingMsi() {}
}
