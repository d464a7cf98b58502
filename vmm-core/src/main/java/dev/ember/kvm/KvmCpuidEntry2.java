package dev.ember.kvm;

/** Layout of {@code struct kvm_cpuid_entry2}, the elements of {@link KvmCpuid2}. */
@CStruct("kvm_cpuid_entry2")
public final class KvmCpuidEntry2 {
    public static final int SIZE = 40;
    @CField(value = "function", size = 4) public static final int FUNCTION = 0;
    @CField(value = "index", size = 4) public static final int INDEX = 4;
    @CField(value = "flags", size = 4) public static final int FLAGS = 8;
    @CField(value = "eax", size = 4) public static final int EAX = 12;
    @CField(value = "ebx", size = 4) public static final int EBX = 16;
    @CField(value = "ecx", size = 4) public static final int ECX = 20;
    @CField(value = "edx", size = 4) public static final int EDX = 24;
    @CField(value = "padding", size = 12) public static final int PADDING = 28;

    /** The leaf has sub-leaves: {@code index} is significant (ECX input). */
    @CConst("KVM_CPUID_FLAG_SIGNIFCANT_INDEX") public static final int FLAG_SIGNIFICANT_INDEX = 1;

    private KvmCpuidEntry2() {}
}
