package dev.ember.kvm;

/** {@code struct kvm_clock_data} (KVM_GET/SET_CLOCK): the guest's kvmclock base, in ns. */
@CStruct("kvm_clock_data")
public final class KvmClockData extends NativeStruct {
    public static final int SIZE = 48;
    @CField(value = "clock", size = 8) public static final int CLOCK = 0;
    @CField(value = "flags", size = 4) public static final int FLAGS = 8;
    @CField(value = "realtime", size = 8) public static final int REALTIME = 16;
    @CField(value = "host_tsc", size = 8) public static final int HOST_TSC = 24;

    @CConst("KVM_CLOCK_TSC_STABLE") public static final int FLAG_TSC_STABLE = 2;

    public KvmClockData() {
        super(SIZE);
    }

    public long clock() {
        return mem.getLong(CLOCK);
    }

    public void clock(long ns) {
        mem.putLong(CLOCK, ns);
    }

    public int flags() {
        return mem.getInt(FLAGS);
    }

    public void flags(int f) {
        mem.putInt(FLAGS, f);
    }
}
