package dev.ember.kvm;

/** {@code struct kvm_pit_state2} (KVM_GET/SET_PIT2): the i8254 channels, kept opaque. */
@CStruct("kvm_pit_state2")
public final class KvmPitState2 extends NativeStruct {
    public static final int SIZE = 112;
    @CField(value = "channels", size = 72) public static final int CHANNELS = 0;
    @CField(value = "flags", size = 4) public static final int FLAGS = 72;
    @CField(value = "reserved", size = 36) public static final int RESERVED = 76;

    public KvmPitState2() {
        super(SIZE);
    }

    public int flags() {
        return mem.getInt(FLAGS);
    }
}
