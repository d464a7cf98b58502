package dev.ember.kvm;

import static dev.ember.kvm.Kvm.check;

import dev.ember.sys.Native;
import dev.ember.sys.NativeMemory;

/**
 * A KVM VM file descriptor: memory slots, the in-kernel irqchip and PIT, irqfd/ioeventfd, vCPUs.
 * Set-up calls happen on one thread; {@link #setIrqLine} may be called from any thread.
 */
public final class VmFd implements AutoCloseable {
    private final int fd;
    private final int vcpuMmapSize;
    private final KvmIrqLevel irqLevel = new KvmIrqLevel();
    private volatile boolean closed;

    VmFd(int fd, int vcpuMmapSize) {
        this.fd = fd;
        this.vcpuMmapSize = vcpuMmapSize;
    }

    public int fd() {
        return fd;
    }

    /** KVM_CHECK_EXTENSION on the VM fd (answers for this VM, e.g. NR_VCPUS). */
    public int checkExtension(int capability) {
        return Math.max(Native.LIBC.ioctl(fd, KvmIoctls.CHECK_EXTENSION, (long) capability), 0);
    }

    public VcpuFd createVcpu(int id) {
        int vcpu = check(Native.LIBC.ioctl(fd, KvmIoctls.CREATE_VCPU, (long) id), "KVM_CREATE_VCPU " + id);
        return VcpuFd.map(vcpu, id, vcpuMmapSize);
    }

    public void setUserMemoryRegion(int slot, int flags, long guestPhysAddr, long size, long hostAddress) {
        KvmUserspaceMemoryRegion r = new KvmUserspaceMemoryRegion();
        r.set(slot, flags, guestPhysAddr, size, hostAddress);
        check(Native.LIBC.ioctl(fd, KvmIoctls.SET_USER_MEMORY_REGION, r.address()),
                String.format("KVM_SET_USER_MEMORY_REGION slot %d [0x%x, +0x%x)", slot, guestPhysAddr, size));
    }

    /**
     * KVM_GET_DIRTY_LOG: writes the bitmap of pages of {@code slot} the guest wrote since the
     * previous call (one bit per 4 KiB page, bit i of u64 word i/64) to {@code bitmapAddress}, and
     * starts a new round. The slot must have been created with KVM_MEM_LOG_DIRTY_PAGES.
     */
    public void getDirtyLog(int slot, long bitmapAddress) {
        KvmDirtyLog log = new KvmDirtyLog();
        log.set(slot, bitmapAddress);
        check(Native.LIBC.ioctl(fd, KvmIoctls.GET_DIRTY_LOG, log.address()), "KVM_GET_DIRTY_LOG slot " + slot);
    }

    /** KVM_SET_TSS_ADDR: three pages of guest-physical space KVM needs below 4 GiB (Intel real-mode support). */
    public void setTssAddress(long gpa) {
        check(Native.LIBC.ioctl(fd, KvmIoctls.SET_TSS_ADDR, gpa), String.format("KVM_SET_TSS_ADDR 0x%x", gpa));
    }

    /** KVM_SET_IDENTITY_MAP_ADDR: one page for the EPT identity map; must precede vCPU creation. */
    public void setIdentityMapAddress(long gpa) {
        NativeMemory p = Native.allocate(8);
        p.putLong(0, gpa);
        check(Native.LIBC.ioctl(fd, KvmIoctls.SET_IDENTITY_MAP_ADDR, p.address()), String.format("KVM_SET_IDENTITY_MAP_ADDR 0x%x", gpa));
    }

    /** KVM_CREATE_IRQCHIP: in-kernel PIC pair, IOAPIC and per-vCPU local APICs. */
    public void createIrqchip() {
        check(Native.LIBC.ioctl(fd, KvmIoctls.CREATE_IRQCHIP, 0L), "KVM_CREATE_IRQCHIP");
    }

    public void createPit2(int flags) {
        KvmPitConfig c = new KvmPitConfig(flags);
        check(Native.LIBC.ioctl(fd, KvmIoctls.CREATE_PIT2, c.address()), "KVM_CREATE_PIT2");
    }

    /** KVM_IRQFD: writes to {@code eventFd} raise {@code gsi} (edge) inside the kernel. */
    /** KVM_SET_GSI_ROUTING: replaces the VM's whole GSI routing table with {@code routing}'s entries. */
    public void setGsiRouting(KvmIrqRouting routing) {
        check(Native.LIBC.ioctl(fd, KvmIoctls.SET_GSI_ROUTING, routing.address()), "KVM_SET_GSI_ROUTING (" + routing.count() + " entries)");
    }

    public void registerIrqfd(int eventFd, int gsi) {
        KvmIrqfd r = new KvmIrqfd();
        r.set(eventFd, gsi, 0, 0);
        check(Native.LIBC.ioctl(fd, KvmIoctls.IRQFD, r.address()), "KVM_IRQFD gsi " + gsi);
    }

    public void unregisterIrqfd(int eventFd, int gsi) {
        KvmIrqfd r = new KvmIrqfd();
        r.set(eventFd, gsi, KvmIrqfd.FLAG_DEASSIGN, 0);
        check(Native.LIBC.ioctl(fd, KvmIoctls.IRQFD, r.address()), "KVM_IRQFD deassign gsi " + gsi);
    }

    /**
     * KVM_IOEVENTFD: a guest write of {@code len} bytes to {@code addr} signals {@code eventFd}
     * without leaving the kernel.
     *
     * @param datamatch the value to match, or -1 to signal on any value
     * @param pio       port I/O instead of MMIO
     */
    public void registerIoeventfd(long addr, int len, long datamatch, int eventFd, boolean pio) {
        ioeventfd(addr, len, datamatch, eventFd, pio, 0);
    }

    /** KVM_IOEVENTFD with DEASSIGN: undoes {@link #registerIoeventfd} with the same arguments. */
    public void unregisterIoeventfd(long addr, int len, long datamatch, int eventFd, boolean pio) {
        ioeventfd(addr, len, datamatch, eventFd, pio, KvmIoeventfd.FLAG_DEASSIGN);
    }

    private void ioeventfd(long addr, int len, long datamatch, int eventFd, boolean pio, int extraFlags) {
        int flags = (datamatch == -1 ? 0 : KvmIoeventfd.FLAG_DATAMATCH) | (pio ? KvmIoeventfd.FLAG_PIO : 0) | extraFlags;
        KvmIoeventfd r = new KvmIoeventfd();
        r.set(addr, len, datamatch == -1 ? 0 : datamatch, eventFd, flags);
        check(Native.LIBC.ioctl(fd, KvmIoctls.IOEVENTFD, r.address()), String.format("KVM_IOEVENTFD%s %s 0x%x len %d",
                extraFlags != 0 ? " (deassign)" : "", pio ? "pio" : "mmio", addr, len));
    }

    /** KVM_IRQ_LINE: set the level of a GSI on the in-kernel irqchip. Allocation-free; serialised. */
    public synchronized void setIrqLine(int gsi, boolean high) {
        irqLevel.set(gsi, high ? 1 : 0);
        check(Native.LIBC.ioctl(fd, KvmIoctls.IRQ_LINE, irqLevel.address()), "KVM_IRQ_LINE");
    }

    public void getIrqchip(KvmIrqchip chip) {
        check(Native.LIBC.ioctl(fd, KvmIoctls.GET_IRQCHIP, chip.address()), "KVM_GET_IRQCHIP " + chip.chipId());
    }

    public void setIrqchip(KvmIrqchip chip) {
        check(Native.LIBC.ioctl(fd, KvmIoctls.SET_IRQCHIP, chip.address()), "KVM_SET_IRQCHIP " + chip.chipId());
    }

    public void getPit2(KvmPitState2 state) {
        check(Native.LIBC.ioctl(fd, KvmIoctls.GET_PIT2, state.address()), "KVM_GET_PIT2");
    }

    public void setPit2(KvmPitState2 state) {
        check(Native.LIBC.ioctl(fd, KvmIoctls.SET_PIT2, state.address()), "KVM_SET_PIT2");
    }

    public void getClock(KvmClockData clock) {
        check(Native.LIBC.ioctl(fd, KvmIoctls.GET_CLOCK, clock.address()), "KVM_GET_CLOCK");
    }

    public void setClock(KvmClockData clock) {
        check(Native.LIBC.ioctl(fd, KvmIoctls.SET_CLOCK, clock.address()), "KVM_SET_CLOCK");
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Native.LIBC.close(fd);
        }
    }
}
