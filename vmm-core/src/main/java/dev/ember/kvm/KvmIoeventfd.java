package dev.ember.kvm;

/** {@code struct kvm_ioeventfd} (KVM_IOEVENTFD): a guest write to an address signals an eventfd in-kernel. */
@CStruct("kvm_ioeventfd")
public final class KvmIoeventfd extends NativeStruct {
    public static final int SIZE = 64;
    @CField(value = "datamatch", size = 8) public static final int DATAMATCH = 0;
    @CField(value = "addr", size = 8) public static final int ADDR = 8;
    @CField(value = "len", size = 4) public static final int LEN = 16;
    @CField(value = "fd", size = 4) public static final int FD = 20;
    @CField(value = "flags", size = 4) public static final int FLAGS = 24;
    @CField(value = "pad", size = 36) public static final int PAD = 28;

    @CConst("KVM_IOEVENTFD_FLAG_DATAMATCH") public static final int FLAG_DATAMATCH = 1;
    @CConst("KVM_IOEVENTFD_FLAG_PIO") public static final int FLAG_PIO = 2;
    @CConst("KVM_IOEVENTFD_FLAG_DEASSIGN") public static final int FLAG_DEASSIGN = 4;

    public KvmIoeventfd() {
        super(SIZE);
    }

    public void set(long addr, int len, long datamatch, int fd, int flags) {
        clear();
        mem.putLong(DATAMATCH, datamatch);
        mem.putLong(ADDR, addr);
        mem.putInt(LEN, len);
        mem.putInt(FD, fd);
        mem.putInt(FLAGS, flags);
    }
}
