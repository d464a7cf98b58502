package dev.ember.kvm;

/** {@code struct kvm_fpu}: x87/SSE state (KVM_GET/SET_FPU). */
@CStruct("kvm_fpu")
public final class KvmFpu extends NativeStruct {
    public static final int SIZE = 416;
    @CField(value = "fpr", size = 128) public static final int FPR = 0;
    @CField(value = "fcw", size = 2) public static final int FCW = 128;
    @CField(value = "fsw", size = 2) public static final int FSW = 130;
    @CField(value = "ftwx", size = 1) public static final int FTWX = 132;
    @CField(value = "last_opcode", size = 2) public static final int LAST_OPCODE = 134;
    @CField(value = "last_ip", size = 8) public static final int LAST_IP = 136;
    @CField(value = "last_dp", size = 8) public static final int LAST_DP = 144;
    @CField(value = "xmm", size = 256) public static final int XMM = 152;
    @CField(value = "mxcsr", size = 4) public static final int MXCSR = 408;

    public KvmFpu() {
        super(SIZE);
    }

    public int fcw() {
        return mem.getShort(FCW) & 0xFFFF;
    }

    public void fcw(int v) {
        mem.putShort(FCW, (short) v);
    }

    public int mxcsr() {
        return mem.getInt(MXCSR);
    }

    public void mxcsr(int v) {
        mem.putInt(MXCSR, v);
    }
}
