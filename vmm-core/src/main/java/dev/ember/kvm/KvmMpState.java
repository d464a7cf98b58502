package dev.ember.kvm;

/** {@code struct kvm_mp_state} (KVM_GET/SET_MP_STATE) and its values. */
@CStruct("kvm_mp_state")
public final class KvmMpState extends NativeStruct {
    public static final int SIZE = 4;
    @CField(value = "mp_state", size = 4) public static final int MP_STATE = 0;

    @CConst("KVM_MP_STATE_RUNNABLE") public static final int RUNNABLE = 0;
    @CConst("KVM_MP_STATE_UNINITIALIZED") public static final int UNINITIALIZED = 1;
    @CConst("KVM_MP_STATE_INIT_RECEIVED") public static final int INIT_RECEIVED = 2;
    @CConst("KVM_MP_STATE_HALTED") public static final int HALTED = 3;
    @CConst("KVM_MP_STATE_SIPI_RECEIVED") public static final int SIPI_RECEIVED = 4;

    public KvmMpState() {
        super(SIZE);
    }

    public int state() {
        return mem.getInt(MP_STATE);
    }

    public void state(int s) {
        mem.putInt(MP_STATE, s);
    }
}
