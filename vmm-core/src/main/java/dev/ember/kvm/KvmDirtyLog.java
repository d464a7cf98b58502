package dev.ember.kvm;

/** {@code struct kvm_dirty_log} (KVM_GET_DIRTY_LOG): a memory slot and where KVM writes its dirty-page bitmap. */
@CStruct("kvm_dirty_log")
public final class KvmDirtyLog extends NativeStruct {
    public static final int SIZE = 16;
    @CField(value = "slot", size = 4) public static final int SLOT = 0;
    @CField(value = "padding1", size = 4) public static final int PADDING1 = 4;
    @CField(value = "dirty_bitmap", size = 8) public static final int DIRTY_BITMAP = 8;

    public KvmDirtyLog() {
        super(SIZE);
    }

    public void set(int slot, long bitmapAddress) {
        mem.putInt(SLOT, slot);
        mem.putInt(PADDING1, 0);
        mem.putLong(DIRTY_BITMAP, bitmapAddress);
    }
}
