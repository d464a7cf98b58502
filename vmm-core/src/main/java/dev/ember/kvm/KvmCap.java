package dev.ember.kvm;

/** KVM_CHECK_EXTENSION capability numbers Ember asks about. */
public final class KvmCap {
    private KvmCap() {}

    @CConst("KVM_CAP_IRQCHIP") public static final int IRQCHIP = 0;
    @CConst("KVM_CAP_USER_MEMORY") public static final int USER_MEMORY = 3;
    @CConst("KVM_CAP_SET_TSS_ADDR") public static final int SET_TSS_ADDR = 4;
    @CConst("KVM_CAP_EXT_CPUID") public static final int EXT_CPUID = 7;
    @CConst("KVM_CAP_NR_VCPUS") public static final int NR_VCPUS = 9;
    @CConst("KVM_CAP_NR_MEMSLOTS") public static final int NR_MEMSLOTS = 10;
    @CConst("KVM_CAP_MP_STATE") public static final int MP_STATE = 14;
    @CConst("KVM_CAP_IRQ_ROUTING") public static final int IRQ_ROUTING = 25;
    @CConst("KVM_CAP_IRQFD") public static final int IRQFD = 32;
    @CConst("KVM_CAP_PIT2") public static final int PIT2 = 33;
    @CConst("KVM_CAP_PIT_STATE2") public static final int PIT_STATE2 = 35;
    @CConst("KVM_CAP_IOEVENTFD") public static final int IOEVENTFD = 36;
    @CConst("KVM_CAP_ADJUST_CLOCK") public static final int ADJUST_CLOCK = 39;
    @CConst("KVM_CAP_VCPU_EVENTS") public static final int VCPU_EVENTS = 41;
    @CConst("KVM_CAP_DEBUGREGS") public static final int DEBUGREGS = 50;
    @CConst("KVM_CAP_XSAVE") public static final int XSAVE = 55;
    @CConst("KVM_CAP_XCRS") public static final int XCRS = 56;
    @CConst("KVM_CAP_TSC_DEADLINE_TIMER") public static final int TSC_DEADLINE_TIMER = 72;
    @CConst("KVM_CAP_MAX_VCPUS") public static final int MAX_VCPUS = 66;
    @CConst("KVM_CAP_READONLY_MEM") public static final int READONLY_MEM = 81;
    @CConst("KVM_CAP_IMMEDIATE_EXIT") public static final int IMMEDIATE_EXIT = 136;
}
