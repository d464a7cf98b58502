package dev.ember.kvm;

/** {@code struct kvm_irqfd} (KVM_IRQFD): an eventfd whose writes inject an interrupt on a GSI. */
@CStruct("kvm_irqfd")
public final class KvmIrqfd extends NativeStruct {
    public static final int SIZE = 32;
    @CField(value = "fd", size = 4) public static final int FD = 0;
    @CField(value = "gsi", size = 4) public static final int GSI = 4;
    @CField(value = "flags", size = 4) public static final int FLAGS = 8;
    @CField(value = "resamplefd", size = 4) public static final int RESAMPLEFD = 12;
    @CField(value = "pad", size = 16) public static final int PAD = 16;

    @CConst("KVM_IRQFD_FLAG_DEASSIGN") public static final int FLAG_DEASSIGN = 1;
    @CConst("KVM_IRQFD_FLAG_RESAMPLE") public static final int FLAG_RESAMPLE = 2;

    public KvmIrqfd() {
        super(SIZE);
    }

    public void set(int fd, int gsi, int flags, int resampleFd) {
        clear();
        mem.putInt(FD, fd);
        mem.putInt(GSI, gsi);
        mem.putInt(FLAGS, flags);
        mem.putInt(RESAMPLEFD, resampleFd);
    }
}
