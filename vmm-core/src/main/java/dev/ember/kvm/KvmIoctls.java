package dev.ember.kvm;

/**
 * Every KVM ioctl request number Ember uses, encoded from the layout classes' sizes. Checked
 * against the C macros by StructLayoutTest.
 */
public final class KvmIoctls {
    private KvmIoctls() {}

    // System ioctls (/dev/kvm)
    @CConst("KVM_GET_API_VERSION") public static final long GET_API_VERSION = Ioctl.io(0x00);
    @CConst("KVM_CREATE_VM") public static final long CREATE_VM = Ioctl.io(0x01);
    @CConst("KVM_GET_MSR_INDEX_LIST") public static final long GET_MSR_INDEX_LIST = Ioctl.iowr(0x02, KvmMsrList.SIZE);
    @CConst("KVM_CHECK_EXTENSION") public static final long CHECK_EXTENSION = Ioctl.io(0x03);
    @CConst("KVM_GET_VCPU_MMAP_SIZE") public static final long GET_VCPU_MMAP_SIZE = Ioctl.io(0x04);
    @CConst("KVM_GET_SUPPORTED_CPUID") public static final long GET_SUPPORTED_CPUID = Ioctl.iowr(0x05, KvmCpuid2.SIZE);

    // VM ioctls
    @CConst("KVM_CREATE_VCPU") public static final long CREATE_VCPU = Ioctl.io(0x41);
    @CConst("KVM_SET_USER_MEMORY_REGION") public static final long SET_USER_MEMORY_REGION = Ioctl.iow(0x46, KvmUserspaceMemoryRegion.SIZE);
    @CConst("KVM_SET_TSS_ADDR") public static final long SET_TSS_ADDR = Ioctl.io(0x47);
    @CConst("KVM_SET_IDENTITY_MAP_ADDR") public static final long SET_IDENTITY_MAP_ADDR = Ioctl.iow(0x48, 8);
    @CConst("KVM_CREATE_IRQCHIP") public static final long CREATE_IRQCHIP = Ioctl.io(0x60);
    @CConst("KVM_IRQ_LINE") public static final long IRQ_LINE = Ioctl.iow(0x61, KvmIrqLevel.SIZE);
    @CConst("KVM_GET_IRQCHIP") public static final long GET_IRQCHIP = Ioctl.iowr(0x62, KvmIrqchip.SIZE);
    @CConst("KVM_SET_IRQCHIP") public static final long SET_IRQCHIP = Ioctl.ior(0x63, KvmIrqchip.SIZE);
    @CConst("KVM_GET_DIRTY_LOG") public static final long GET_DIRTY_LOG = Ioctl.iow(0x42, KvmDirtyLog.SIZE);
    @CConst("KVM_SET_GSI_ROUTING") public static final long SET_GSI_ROUTING = Ioctl.iow(0x6a, KvmIrqRouting.SIZE);
    @CConst("KVM_IRQFD") public static final long IRQFD = Ioctl.iow(0x76, KvmIrqfd.SIZE);
    @CConst("KVM_CREATE_PIT2") public static final long CREATE_PIT2 = Ioctl.iow(0x77, KvmPitConfig.SIZE);
    @CConst("KVM_IOEVENTFD") public static final long IOEVENTFD = Ioctl.iow(0x79, KvmIoeventfd.SIZE);
    @CConst("KVM_SET_CLOCK") public static final long SET_CLOCK = Ioctl.iow(0x7b, KvmClockData.SIZE);
    @CConst("KVM_GET_CLOCK") public static final long GET_CLOCK = Ioctl.ior(0x7c, KvmClockData.SIZE);
    @CConst("KVM_GET_PIT2") public static final long GET_PIT2 = Ioctl.ior(0x9f, KvmPitState2.SIZE);
    @CConst("KVM_SET_PIT2") public static final long SET_PIT2 = Ioctl.iow(0xa0, KvmPitState2.SIZE);

    // vCPU ioctls
    @CConst("KVM_RUN") public static final long RUN = Ioctl.io(0x80);
    @CConst("KVM_GET_REGS") public static final long GET_REGS = Ioctl.ior(0x81, KvmRegs.SIZE);
    @CConst("KVM_SET_REGS") public static final long SET_REGS = Ioctl.iow(0x82, KvmRegs.SIZE);
    @CConst("KVM_GET_SREGS") public static final long GET_SREGS = Ioctl.ior(0x83, KvmSregs.SIZE);
    @CConst("KVM_SET_SREGS") public static final long SET_SREGS = Ioctl.iow(0x84, KvmSregs.SIZE);
    @CConst("KVM_GET_MSRS") public static final long GET_MSRS = Ioctl.iowr(0x88, KvmMsrs.SIZE);
    @CConst("KVM_SET_MSRS") public static final long SET_MSRS = Ioctl.iow(0x89, KvmMsrs.SIZE);
    @CConst("KVM_SET_SIGNAL_MASK") public static final long SET_SIGNAL_MASK = Ioctl.iow(0x8b, KvmSignalMask.SIZE);
    @CConst("KVM_GET_FPU") public static final long GET_FPU = Ioctl.ior(0x8c, KvmFpu.SIZE);
    @CConst("KVM_SET_FPU") public static final long SET_FPU = Ioctl.iow(0x8d, KvmFpu.SIZE);
    @CConst("KVM_GET_LAPIC") public static final long GET_LAPIC = Ioctl.ior(0x8e, KvmLapicState.SIZE);
    @CConst("KVM_SET_LAPIC") public static final long SET_LAPIC = Ioctl.iow(0x8f, KvmLapicState.SIZE);
    @CConst("KVM_SET_CPUID2") public static final long SET_CPUID2 = Ioctl.iow(0x90, KvmCpuid2.SIZE);
    @CConst("KVM_GET_CPUID2") public static final long GET_CPUID2 = Ioctl.iowr(0x91, KvmCpuid2.SIZE);
    @CConst("KVM_GET_MP_STATE") public static final long GET_MP_STATE = Ioctl.ior(0x98, KvmMpState.SIZE);
    @CConst("KVM_SET_MP_STATE") public static final long SET_MP_STATE = Ioctl.iow(0x99, KvmMpState.SIZE);
    @CConst("KVM_GET_VCPU_EVENTS") public static final long GET_VCPU_EVENTS = Ioctl.ior(0x9f, KvmVcpuEvents.SIZE);
    @CConst("KVM_SET_VCPU_EVENTS") public static final long SET_VCPU_EVENTS = Ioctl.iow(0xa0, KvmVcpuEvents.SIZE);
    @CConst("KVM_GET_XSAVE") public static final long GET_XSAVE = Ioctl.ior(0xa4, KvmXsave.SIZE);
    @CConst("KVM_SET_XSAVE") public static final long SET_XSAVE = Ioctl.iow(0xa5, KvmXsave.SIZE);
    @CConst("KVM_GET_XCRS") public static final long GET_XCRS = Ioctl.ior(0xa6, KvmXcrs.SIZE);
    @CConst("KVM_SET_XCRS") public static final long SET_XCRS = Ioctl.iow(0xa7, KvmXcrs.SIZE);
    @CConst("KVM_GET_DEBUGREGS") public static final long GET_DEBUGREGS = Ioctl.ior(0xa1, KvmDebugregs.SIZE);
    @CConst("KVM_SET_DEBUGREGS") public static final long SET_DEBUGREGS = Ioctl.iow(0xa2, KvmDebugregs.SIZE);
}
