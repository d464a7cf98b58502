package dev.ember.kvm;

/** Layout of {@code struct kvm_dtable} (GDTR/IDTR as embedded in kvm_sregs). */
@CStruct("kvm_dtable")
public final class KvmDtable {
    public static final int SIZE = 16;
    @CField(value = "base", size = 8) public static final int BASE = 0;
    @CField(value = "limit", size = 2) public static final int LIMIT = 8;

    private KvmDtable() {}
}
