package dev.ember.kvm;

import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import java.nio.file.Files;
import java.nio.file.Path;

/** The KVM system file descriptor ({@code /dev/kvm}): capabilities, supported CPUID, new VMs. */
public final class Kvm implements AutoCloseable {
    public static final String DEVICE = "/dev/kvm";
    /** The only API version there has ever been (KVM_API_VERSION). */
    public static final int API_VERSION = 12;

    private final int fd;
    private volatile boolean closed;

    private Kvm(int fd) {
        this.fd = fd;
    }

    /** True if {@link #DEVICE} exists, for tests and diagnostics. */
    public static boolean available() {
        return Files.exists(Path.of(DEVICE));
    }

    /**
     * True if /dev/kvm is served by {@code kvm_pvm}, the software hypervisor (its module directory
     * exists). Decided by the module, never by timing: PVM behaves differently in ways the VMM
     * must compensate for (see {@code IrqfdInterruptLine}).
     */
    public static boolean hostIsPvm() {
        return Files.isDirectory(Path.of("/sys/module/kvm_pvm"));
    }

    /** Opens /dev/kvm and checks the API version. */
    public static Kvm open() {
        int fd = Native.LIBC.open(DEVICE, LibC.O_RDWR | LibC.O_CLOEXEC, 0);
        if (fd < 0) {
            int errno = Native.errno();
            throw new KvmUnavailableException("cannot open " + DEVICE + ": " + Native.LIBC.strerror(errno)
                    + " (errno " + errno + "); load the kvm module and give this user read/write access to " + DEVICE);
        }
        Kvm kvm = new Kvm(fd);
        int version = kvm.apiVersion();
        if (version != API_VERSION) {
            kvm.close();
            throw new KvmUnavailableException(DEVICE + " reports KVM API version " + version + ", Ember needs " + API_VERSION);
        }
        return kvm;
    }

    public int fd() {
        return fd;
    }

    public int apiVersion() {
        return check(Native.LIBC.ioctl(fd, KvmIoctls.GET_API_VERSION, 0L), "KVM_GET_API_VERSION");
    }

    /** KVM_CHECK_EXTENSION: 0 if absent, otherwise a capability-specific positive value. */
    public int checkExtension(int capability) {
        int rc = Native.LIBC.ioctl(fd, KvmIoctls.CHECK_EXTENSION, (long) capability);
        return Math.max(rc, 0);
    }

    public int vcpuMmapSize() {
        return check(Native.LIBC.ioctl(fd, KvmIoctls.GET_VCPU_MMAP_SIZE, 0L), "KVM_GET_VCPU_MMAP_SIZE");
    }

    /** KVM_GET_SUPPORTED_CPUID: every CPUID leaf KVM can present to a guest, with the bits it can virtualise. */
    public KvmCpuid2 supportedCpuid() {
        KvmCpuid2 cpuid = new KvmCpuid2(KvmCpuid2.MAX_ENTRIES);
        check(Native.LIBC.ioctl(fd, KvmIoctls.GET_SUPPORTED_CPUID, cpuid.address()), "KVM_GET_SUPPORTED_CPUID");
        return cpuid;
    }

    /** KVM_GET_MSR_INDEX_LIST: the MSRs KVM saves and restores for a vCPU. */
    public int[] msrIndexList() {
        int capacity = 1024;
        var buf = Native.allocate(KvmMsrList.SIZE + 4 * capacity);
        buf.putInt(KvmMsrList.NMSRS, capacity);
        check(Native.LIBC.ioctl(fd, KvmIoctls.GET_MSR_INDEX_LIST, buf.address()), "KVM_GET_MSR_INDEX_LIST");
        int n = buf.getInt(KvmMsrList.NMSRS);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = buf.getInt(KvmMsrList.INDICES + 4L * i);
        }
        return out;
    }

    /** KVM_CREATE_VM (default machine type). */
    public VmFd createVm() {
        int vmfd;
        do {
            vmfd = Native.LIBC.ioctl(fd, KvmIoctls.CREATE_VM, 0L);
        } while (vmfd < 0 && Native.errno() == LibC.EINTR);
        check(vmfd, "KVM_CREATE_VM");
        return new VmFd(vmfd, vcpuMmapSize());
    }

    static int check(int rc, String what) {
        if (rc < 0) {
            throw new KvmException(what, Native.errno());
        }
        return rc;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Native.LIBC.close(fd);
        }
    }
}
