package dev.ember.kvm;

/** Layout of {@code struct kvm_msr_list} (KVM_GET_MSR_INDEX_LIST): a count and u32 indices. */
@CStruct("kvm_msr_list")
public final class KvmMsrList {
    public static final int SIZE = 4;
    @CField(value = "nmsrs", size = 4) public static final int NMSRS = 0;
    @CField(value = "indices", size = 0) public static final int INDICES = 4;

    private KvmMsrList() {}
}
