package dev.ember.vm;

import dev.ember.kvm.Kvm;
import dev.ember.kvm.KvmCap;
import dev.ember.kvm.KvmCpuid2;
import dev.ember.kvm.KvmPitConfig;
import dev.ember.kvm.VmFd;
import dev.ember.vm.x86.X86VcpuState;

/**
 * The part of a VM that no configuration decides: /dev/kvm opened and probed (capabilities,
 * supported CPUID, MSR list), the KVM VM with its TSS and identity-map addresses, in-kernel
 * irqchip and PIT. Memory slots and vCPUs, which machine-config decides, come in
 * {@link Vm#create(VmShell, VmSpec, dev.ember.memory.GuestMemory, boolean)}.
 *
 * <p>Why a separate step: creating the irqchip and the memory slots waits for the kernel's SRCU
 * grace periods and the PIT starts a kernel thread, milliseconds of wall time on a busy host
 * that an orchestrator's InstanceStart or snapshot load would otherwise wait for. The VMM builds
 * a shell while it waits for requests and the start takes it ({@link Vm#create} consumes it:
 * one shell, one VM).
 */
public final class VmShell implements AutoCloseable {
    final Kvm kvm;
    final VmFd vmFd;
    final KvmCpuid2 supportedCpuid;
    final boolean tscDeadline;
    final boolean xsave;
    final X86VcpuState.Capabilities stateCaps;
    private boolean taken;

    private VmShell(Kvm kvm, VmFd vmFd, KvmCpuid2 supportedCpuid, boolean tscDeadline, boolean xsave,
                    X86VcpuState.Capabilities stateCaps) {
        this.kvm = kvm;
        this.vmFd = vmFd;
        this.supportedCpuid = supportedCpuid;
        this.tscDeadline = tscDeadline;
        this.xsave = xsave;
        this.stateCaps = stateCaps;
    }

    /**
     * Opens /dev/kvm, checks the capabilities Ember needs and creates the VM's kernel side.
     *
     * @throws dev.ember.kvm.KvmUnavailableException /dev/kvm cannot be opened
     * @throws VmConfigurationException host KVM lacks a capability Ember needs
     */
    public static VmShell create() {
        Kvm kvm = Kvm.open();
        VmFd vmFd = null;
        try {
            requireCapabilities(kvm);
            KvmCpuid2 supported = kvm.supportedCpuid();
            boolean tscDeadline = kvm.checkExtension(KvmCap.TSC_DEADLINE_TIMER) > 0;
            boolean xsave = kvm.checkExtension(KvmCap.XSAVE) > 0;
            X86VcpuState.Capabilities caps = new X86VcpuState.Capabilities(kvm.msrIndexList(), xsave,
                    kvm.checkExtension(KvmCap.XCRS) > 0, kvm.checkExtension(KvmCap.DEBUGREGS) > 0);
            vmFd = kvm.createVm();
            // Both before any vCPU exists (KVM's rule); neither needs the memory slots.
            vmFd.setTssAddress(Vm.TSS_ADDRESS);
            vmFd.setIdentityMapAddress(Vm.IDENTITY_MAP_ADDRESS);
            vmFd.createIrqchip();
            vmFd.createPit2(KvmPitConfig.SPEAKER_DUMMY);
            return new VmShell(kvm, vmFd, supported, tscDeadline, xsave, caps);
        } catch (RuntimeException e) {
            if (vmFd != null) {
                vmFd.close();
            }
            kvm.close();
            throw e;
        }
    }

    private static void requireCapabilities(Kvm kvm) {
        int[] required = {KvmCap.IRQCHIP, KvmCap.USER_MEMORY, KvmCap.SET_TSS_ADDR, KvmCap.PIT2, KvmCap.IRQFD,
            KvmCap.IOEVENTFD, KvmCap.IMMEDIATE_EXIT, KvmCap.EXT_CPUID, KvmCap.MP_STATE};
        String[] names = {"IRQCHIP", "USER_MEMORY", "SET_TSS_ADDR", "PIT2", "IRQFD", "IOEVENTFD", "IMMEDIATE_EXIT", "EXT_CPUID", "MP_STATE"};
        for (int i = 0; i < required.length; i++) {
            if (kvm.checkExtension(required[i]) <= 0) {
                throw new VmConfigurationException("host KVM lacks KVM_CAP_" + names[i] + ", which Ember needs; use a newer host kernel");
            }
        }
    }

    /** Marks the shell used by a VM, which owns its descriptors from then on; a shell is used once. */
    synchronized void take() {
        if (taken) {
            throw new IllegalStateException("this VmShell was already used by a VM");
        }
        taken = true;
    }

    /** Whether a VM took this shell (its descriptors are that VM's now). */
    public synchronized boolean taken() {
        return taken;
    }

    /** Closes the VM and /dev/kvm descriptors of a shell no VM took; a taken shell is left to its VM. */
    @Override
    public synchronized void close() {
        if (taken) {
            return;
        }
        taken = true;
        vmFd.close();
        kvm.close();
    }
}
