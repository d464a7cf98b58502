package dev.ember.kvm;

/** {@code struct kvm_xcrs}: extended control registers, XCR0 (KVM_GET/SET_XCRS). */
@CStruct("kvm_xcrs")
public final class KvmXcrs extends NativeStruct {
    public static final int SIZE = 392;
    @CField(value = "nr_xcrs", size = 4) public static final int NR_XCRS = 0;
    @CField(value = "flags", size = 4) public static final int FLAGS = 4;
    @CField(value = "xcrs", size = 16 * KvmXcr.SIZE) public static final int XCRS = 8;
    @CField(value = "padding", size = 128) public static final int PADDING = 264;
    public static final int MAX_XCRS = 16;

    public KvmXcrs() {
        super(SIZE);
    }

    public int count() {
        return mem.getInt(NR_XCRS);
    }

    public int xcr(int i) {
        return mem.getInt(XCRS + check(i) * KvmXcr.SIZE + KvmXcr.XCR);
    }

    public long value(int i) {
        return mem.getLong(XCRS + check(i) * KvmXcr.SIZE + KvmXcr.VALUE);
    }

    /** Makes this hold exactly one register: XCR{@code xcr} = {@code value}. */
    public void setSingle(int xcr, long value) {
        clear();
        mem.putInt(NR_XCRS, 1);
        mem.putInt(XCRS + KvmXcr.XCR, xcr);
        mem.putLong(XCRS + KvmXcr.VALUE, value);
    }

    private static int check(int i) {
        if (i < 0 || i >= MAX_XCRS) {
            throw new IndexOutOfBoundsException("XCR entry " + i);
        }
        return i;
    }
}
