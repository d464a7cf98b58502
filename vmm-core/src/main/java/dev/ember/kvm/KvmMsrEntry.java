package dev.ember.kvm;

/** Layout of {@code struct kvm_msr_entry}, the elements of {@link KvmMsrs}. */
@CStruct("kvm_msr_entry")
public final class KvmMsrEntry {
    public static final int SIZE = 16;
    @CField(value = "index", size = 4) public static final int INDEX = 0;
    @CField(value = "reserved", size = 4) public static final int RESERVED = 4;
    @CField(value = "data", size = 8) public static final int DATA = 8;

    private KvmMsrEntry() {}
}
