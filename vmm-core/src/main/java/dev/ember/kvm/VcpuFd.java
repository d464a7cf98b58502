package dev.ember.kvm;

import static dev.ember.kvm.Kvm.check;

import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import dev.ember.sys.NativeMemory;
import dev.ember.sys.NativeException;

/**
 * A KVM vCPU file descriptor and its mapped {@link KvmRun} page. {@link #run()} and the register
 * accessors belong to the vCPU's own thread; only {@link #kvmRun()}'s immediate-exit flag is
 * touched from elsewhere.
 */
public final class VcpuFd implements AutoCloseable {
    private final int fd;
    private final int id;
    private final KvmRun run;
    private final int mmapSize;
    private volatile boolean closed;

    private VcpuFd(int fd, int id, KvmRun run, int mmapSize) {
        this.fd = fd;
        this.id = id;
        this.run = run;
        this.mmapSize = mmapSize;
    }

    static VcpuFd map(int fd, int id, int mmapSize) {
        if (mmapSize < KvmRun.SIZE) {
            Native.LIBC.close(fd);
            throw new KvmException("KVM_GET_VCPU_MMAP_SIZE " + mmapSize + " is smaller than struct kvm_run", LibC.EINVAL);
        }
        long addr = Native.mmap(0, mmapSize, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
        if (addr == LibC.MAP_FAILED) {
            int errno = Native.errno();
            Native.LIBC.close(fd);
            throw new NativeException("mmap kvm_run of vCPU " + id, errno);
        }
        KvmRun run = new KvmRun(NativeMemory.view(addr, mmapSize), mmapSize);
        return new VcpuFd(fd, id, run, mmapSize);
    }

    public int fd() {
        return fd;
    }

    public int id() {
        return id;
    }

    public KvmRun kvmRun() {
        return run;
    }

    /**
     * KVM_RUN. Returns 0 after an exit to handle, or the negated errno (EINTR after a kick or an
     * immediate exit, EAGAIN). Allocation-free.
     */
    public int run() {
        int rc = Native.LIBC.ioctl(fd, KvmIoctls.RUN, 0L);
        return rc < 0 ? -Native.errno() : 0;
    }

    public void getRegs(KvmRegs regs) {
        check(Native.LIBC.ioctl(fd, KvmIoctls.GET_REGS, regs.address()), "KVM_GET_REGS vcpu" + id);
    }

    public void setRegs(KvmRegs regs) {
        check(Native.LIBC.ioctl(fd, KvmIoctls.SET_REGS, regs.address()), "KVM_SET_REGS vcpu" + id);
    }

    public void getSregs(KvmSregs sregs) {
        check(Native.LIBC.ioctl(fd, KvmIoctls.GET_SREGS, sregs.address()), "KVM_GET_SREGS vcpu" + id);
    }

    public void setSregs(KvmSregs sregs) {
        check(Native.LIBC.ioctl(fd, KvmIoctls.SET_SREGS, sregs.address()), "KVM_SET_SREGS vcpu" + id);
    }

    public void getFpu(KvmFpu fpu) {
        check(Native.LIBC.ioctl(fd, KvmIoctls.GET_FPU, fpu.address()), "KVM_GET_FPU vcpu" + id);
    }

    public void setFpu(KvmFpu fpu) {
        check(Native.LIBC.ioctl(fd, KvmIoctls.SET_FPU, fpu.address()), "KVM_SET_FPU vcpu" + id);
    }

    /** KVM_GET_MSRS: fills the data of the entries whose indices are set; returns how many KVM read. */
    public int getMsrs(KvmMsrs msrs) {
        return check(Native.LIBC.ioctl(fd, KvmIoctls.GET_MSRS, msrs.address()), "KVM_GET_MSRS vcpu" + id);
    }

    /** KVM_SET_MSRS: returns how many entries KVM accepted (it stops at the first it rejects). */
    public int setMsrs(KvmMsrs msrs) {
        return check(Native.LIBC.ioctl(fd, KvmIoctls.SET_MSRS, msrs.address()), "KVM_SET_MSRS vcpu" + id);
    }

    public void setCpuid2(KvmCpuid2 cpuid) {
        check(Native.LIBC.ioctl(fd, KvmIoctls.SET_CPUID2, cpuid.address()), "KVM_SET_CPUID2 vcpu" + id);
    }

    /** KVM_GET_CPUID2; {@code cpuid} must have room for all entries that were set. */
    public void getCpuid2(KvmCpuid2 cpuid) {
        cpuid.count(cpuid.capacity());
        check(Native.LIBC.ioctl(fd, KvmIoctls.GET_CPUID2, cpuid.address()), "KVM_GET_CPUID2 vcpu" + id);
    }

    public void getLapic(KvmLapicState lapic) {
        check(Native.LIBC.ioctl(fd, KvmIoctls.GET_LAPIC, lapic.address()), "KVM_GET_LAPIC vcpu" + id);
    }

    public void setLapic(KvmLapicState lapic) {
        check(Native.LIBC.ioctl(fd, KvmIoctls.SET_LAPIC, lapic.address()), "KVM_SET_LAPIC vcpu" + id);
    }

    public int getMpState() {
        KvmMpState s = new KvmMpState();
        check(Native.LIBC.ioctl(fd, KvmIoctls.GET_MP_STATE, s.address()), "KVM_GET_MP_STATE vcpu" + id);
        return s.state();
    }

    public void setMpState(int state) {
        KvmMpState s = new KvmMpState();
        s.state(state);
        check(Native.LIBC.ioctl(fd, KvmIoctls.SET_MP_STATE, s.address()), "KVM_SET_MP_STATE vcpu" + id);
    }

    public void getXsave(KvmXsave xsave) {
        check(Native.LIBC.ioctl(fd, KvmIoctls.GET_XSAVE, xsave.address()), "KVM_GET_XSAVE vcpu" + id);
    }

    public void setXsave(KvmXsave xsave) {
        check(Native.LIBC.ioctl(fd, KvmIoctls.SET_XSAVE, xsave.address()), "KVM_SET_XSAVE vcpu" + id);
    }

    public void getXcrs(KvmXcrs xcrs) {
        check(Native.LIBC.ioctl(fd, KvmIoctls.GET_XCRS, xcrs.address()), "KVM_GET_XCRS vcpu" + id);
    }

    public void setXcrs(KvmXcrs xcrs) {
        check(Native.LIBC.ioctl(fd, KvmIoctls.SET_XCRS, xcrs.address()), "KVM_SET_XCRS vcpu" + id);
    }

    public void getVcpuEvents(KvmVcpuEvents events) {
        check(Native.LIBC.ioctl(fd, KvmIoctls.GET_VCPU_EVENTS, events.address()), "KVM_GET_VCPU_EVENTS vcpu" + id);
    }

    public void setVcpuEvents(KvmVcpuEvents events) {
        check(Native.LIBC.ioctl(fd, KvmIoctls.SET_VCPU_EVENTS, events.address()), "KVM_SET_VCPU_EVENTS vcpu" + id);
    }

    public void getDebugregs(KvmDebugregs regs) {
        check(Native.LIBC.ioctl(fd, KvmIoctls.GET_DEBUGREGS, regs.address()), "KVM_GET_DEBUGREGS vcpu" + id);
    }

    public void setDebugregs(KvmDebugregs regs) {
        check(Native.LIBC.ioctl(fd, KvmIoctls.SET_DEBUGREGS, regs.address()), "KVM_SET_DEBUGREGS vcpu" + id);
    }

    /** KVM_SET_SIGNAL_MASK: the signal mask in force while this vCPU's thread is inside KVM_RUN. */
    public void setSignalMask(KvmSignalMask mask) {
        check(Native.LIBC.ioctl(fd, KvmIoctls.SET_SIGNAL_MASK, mask.address()), "KVM_SET_SIGNAL_MASK vcpu" + id);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Native.LIBC.munmap(run.mappingAddress(), mmapSize);
            Native.LIBC.close(fd);
        }
    }
}
