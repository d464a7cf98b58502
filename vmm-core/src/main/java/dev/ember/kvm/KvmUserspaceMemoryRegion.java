package dev.ember.kvm;

/** {@code struct kvm_userspace_memory_region} (KVM_SET_USER_MEMORY_REGION). */
@CStruct("kvm_userspace_memory_region")
public final class KvmUserspaceMemoryRegion extends NativeStruct {
    public static final int SIZE = 32;
    @CField(value = "slot", size = 4) public static final int SLOT = 0;
    @CField(value = "flags", size = 4) public static final int FLAGS = 4;
    @CField(value = "guest_phys_addr", size = 8) public static final int GUEST_PHYS_ADDR = 8;
    @CField(value = "memory_size", size = 8) public static final int MEMORY_SIZE = 16;
    @CField(value = "userspace_addr", size = 8) public static final int USERSPACE_ADDR = 24;

    @CConst("KVM_MEM_LOG_DIRTY_PAGES") public static final int MEM_LOG_DIRTY_PAGES = 1;
    @CConst("KVM_MEM_READONLY") public static final int MEM_READONLY = 2;

    public KvmUserspaceMemoryRegion() {
        super(SIZE);
    }

    public void set(int slot, int flags, long guestPhysAddr, long size, long userspaceAddr) {
        mem.putInt(SLOT, slot);
        mem.putInt(FLAGS, flags);
        mem.putLong(GUEST_PHYS_ADDR, guestPhysAddr);
        mem.putLong(MEMORY_SIZE, size);
        mem.putLong(USERSPACE_ADDR, userspaceAddr);
    }
}
