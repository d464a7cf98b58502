package dev.ember.kvm;

/**
 * {@code struct kvm_signal_mask} (KVM_SET_SIGNAL_MASK): the signal mask in force while the vCPU
 * thread is inside KVM_RUN. The kernel's sigset is 64 bits (signal n is bit n-1), not glibc's
 * 1024-bit sigset_t.
 */
@CStruct("kvm_signal_mask")
public final class KvmSignalMask extends NativeStruct {
    public static final int SIZE = 4;
    @CField(value = "len", size = 4) public static final int LEN = 0;
    @CField(value = "sigset", size = 0) public static final int SIGSET = 4;
    /** sizeof the kernel's sigset_t on x86_64. */
    public static final int KERNEL_SIGSET_BYTES = 8;

    public KvmSignalMask() {
        super(SIZE + KERNEL_SIGSET_BYTES);
        mem.putInt(LEN, KERNEL_SIGSET_BYTES);
    }

    /** Sets the 64-bit kernel sigset: bit (n-1) set means signal n is blocked inside KVM_RUN. */
    public void sigset(long blockedBits) {
        mem.putLong(SIGSET, blockedBits);
    }

    public long sigset() {
        return mem.getLong(SIGSET);
    }
}
