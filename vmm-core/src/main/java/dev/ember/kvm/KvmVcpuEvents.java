package dev.ember.kvm;

/**
 * {@code struct kvm_vcpu_events}: pending exceptions, interrupts, NMIs and SMIs
 * (KVM_GET/SET_VCPU_EVENTS). Mostly captured and restored whole, e.g. for snapshots.
 */
@CStruct("kvm_vcpu_events")
public final class KvmVcpuEvents extends NativeStruct {
    public static final int SIZE = 64;
    @CField(value = "exception", size = 8) public static final int EXCEPTION = 0;
    @CField(value = "exception.injected", size = 1) public static final int EXCEPTION_INJECTED = 0;
    @CField(value = "exception.nr", size = 1) public static final int EXCEPTION_NR = 1;
    @CField(value = "exception.error_code", size = 4) public static final int EXCEPTION_ERROR_CODE = 4;
    @CField(value = "interrupt", size = 4) public static final int INTERRUPT = 8;
    @CField(value = "nmi", size = 4) public static final int NMI = 12;
    @CField(value = "nmi.injected", size = 1) public static final int NMI_INJECTED = 12;
    @CField(value = "nmi.pending", size = 1) public static final int NMI_PENDING = 13;
    @CField(value = "sipi_vector", size = 4) public static final int SIPI_VECTOR = 16;
    @CField(value = "flags", size = 4) public static final int FLAGS = 20;
    @CField(value = "smi", size = 4) public static final int SMI = 24;
    @CField(value = "triple_fault", size = 1) public static final int TRIPLE_FAULT = 28;
    @CField(value = "exception_has_payload", size = 1) public static final int EXCEPTION_HAS_PAYLOAD = 55;
    @CField(value = "exception_payload", size = 8) public static final int EXCEPTION_PAYLOAD = 56;

    @CConst("KVM_VCPUEVENT_VALID_NMI_PENDING") public static final int VALID_NMI_PENDING = 1;
    @CConst("KVM_VCPUEVENT_VALID_SIPI_VECTOR") public static final int VALID_SIPI_VECTOR = 2;

    public KvmVcpuEvents() {
        super(SIZE);
    }

    public int flags() {
        return mem.getInt(FLAGS);
    }

    public boolean exceptionInjected() {
        return mem.getByte(EXCEPTION_INJECTED) != 0;
    }

    public int exceptionNumber() {
        return mem.getByte(EXCEPTION_NR) & 0xFF;
    }

    public boolean nmiPending() {
        return mem.getByte(NMI_PENDING) != 0;
    }
}
