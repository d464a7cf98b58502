package dev.ember.kvm;

/**
 * {@code struct kvm_xsave} (KVM_GET/SET_XSAVE): the vCPU's x87/SSE/AVX state in the XSAVE
 * format. The first 512 bytes are the FXSAVE legacy area, which is also where MXCSR lives:
 * KVM_GET/SET_FPU do not carry MXCSR, so this is the way to read or set it.
 */
@CStruct("kvm_xsave")
public final class KvmXsave extends NativeStruct {
    public static final int SIZE = 4096;
    @CField(value = "region", size = 4096) public static final int REGION = 0;
    /** Offsets in the FXSAVE legacy area (Intel SDM vol. 1, table 10-2). */
    public static final int LEGACY_FCW = 0, LEGACY_MXCSR = 24, LEGACY_MXCSR_MASK = 28;

    public KvmXsave() {
        super(SIZE);
    }

    public int mxcsr() {
        return mem.getInt(REGION + LEGACY_MXCSR);
    }

    public void mxcsr(int v) {
        mem.putInt(REGION + LEGACY_MXCSR, v);
    }

    public int fcw() {
        return mem.getShort(REGION + LEGACY_FCW) & 0xFFFF;
    }
}
