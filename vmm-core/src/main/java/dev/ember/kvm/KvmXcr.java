package dev.ember.kvm;

/** Layout of {@code struct kvm_xcr}, the elements of {@link KvmXcrs}. */
@CStruct("kvm_xcr")
public final class KvmXcr {
    public static final int SIZE = 16;
    @CField(value = "xcr", size = 4) public static final int XCR = 0;
    @CField(value = "reserved", size = 4) public static final int RESERVED = 4;
    @CField(value = "value", size = 8) public static final int VALUE = 8;

    private KvmXcr() {}
}
