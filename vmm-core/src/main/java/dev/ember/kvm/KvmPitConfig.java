package dev.ember.kvm;

/** {@code struct kvm_pit_config} (KVM_CREATE_PIT2). */
@CStruct("kvm_pit_config")
public final class KvmPitConfig extends NativeStruct {
    public static final int SIZE = 64;
    @CField(value = "flags", size = 4) public static final int FLAGS = 0;
    @CField(value = "pad", size = 60) public static final int PAD = 4;

    /** Emulate the PC speaker port (0x61) as a dummy so the guest's speaker probe gets an answer. */
    @CConst("KVM_PIT_SPEAKER_DUMMY") public static final int SPEAKER_DUMMY = 1;

    public KvmPitConfig(int flags) {
        super(SIZE);
        mem.putInt(FLAGS, flags);
    }
}
