package dev.ember.vm.x86;

import dev.ember.errors.ReasonException;
import dev.ember.vm.VmConfigurationException;

/**
 * A CPU template cannot be applied on this host. The message is Firecracker's text for the
 * same failure; callers add which template it was and the fix.
 */
public final class CpuTemplateException extends ReasonException {
    public enum Reason {
        /** A static template for the other CPU vendor (T2 on AMD, T2A on Intel). */
        VENDOR_MISMATCH,
        /** T2CL on an Intel CPU older than Cascade Lake. */
        CPU_MODEL,
        /** A CPUID modifier for a leaf/subleaf KVM does not report. */
        CPUID_ENTRY_NOT_SUPPORTED,
        /** An MSR modifier for an MSR KVM cannot read or write on this vCPU. */
        MSR_NOT_SUPPORTED,
        /** kvm_capabilities names a capability KVM_CHECK_EXTENSION reports absent. */
        MISSING_KVM_CAPABILITY
    }

    public CpuTemplateException(Reason reason, String message) {
        super(reason, message);
    }

    /** Typed: the API's fault text depends on it. */
    @Override
    public Reason reason() {
        return (Reason) super.reason();
    }

    /** As a {@link VmConfigurationException}, for paths that report only those. */
    public VmConfigurationException asConfiguration() {
        return new VmConfigurationException(getMessage(), this);
    }
}
