package dev.ember.vm.x86;

import dev.ember.kvm.KvmMsrs;

/**
 * The MSR values every vCPU starts with (as Firecracker sets them): system-call MSRs cleared,
 * TSC at 0, fast strings enabled, and write-back as the MTRR default memory type so the guest
 * does not run its RAM uncached.
 */
public final class BootMsrs {
    public static final int IA32_TSC = 0x10;
    public static final int IA32_SYSENTER_CS = 0x174, IA32_SYSENTER_ESP = 0x175, IA32_SYSENTER_EIP = 0x176;
    public static final int IA32_MISC_ENABLE = 0x1a0;
    public static final int IA32_MTRR_DEF_TYPE = 0x2ff;
    public static final int STAR = 0xc0000081, LSTAR = 0xc0000082, CSTAR = 0xc0000083, SFMASK = 0xc0000084;
    public static final int KERNEL_GS_BASE = 0xc0000102;

    public static final long MISC_ENABLE_FAST_STRING = 1;
    /** MTRRdefType: E (MTRRs enabled, bit 11) | type 6 (write-back). */
    public static final long MTRR_ENABLE_WRITEBACK = (1L << 11) | 6;

    private static final int[] INDICES = {
        IA32_SYSENTER_CS, IA32_SYSENTER_ESP, IA32_SYSENTER_EIP,
        STAR, CSTAR, KERNEL_GS_BASE, SFMASK, LSTAR,
        IA32_TSC, IA32_MISC_ENABLE, IA32_MTRR_DEF_TYPE,
    };

    private BootMsrs() {}

    public static KvmMsrs create() {
        KvmMsrs msrs = new KvmMsrs(INDICES.length);
        for (int index : INDICES) {
            long value;
            switch (index) {
                case IA32_MISC_ENABLE: value = MISC_ENABLE_FAST_STRING; break;
                case IA32_MTRR_DEF_TYPE: value = MTRR_ENABLE_WRITEBACK; break;
                default: value = 0;
            }
            msrs.add(index, value);
        }
        return msrs;
    }
}
