package dev.ember.devices.legacy;

import dev.ember.bus.BusDevice;
import dev.ember.log.Log;

/**
 * Firecracker's boot-timer device: the guest's init writes the magic byte 123 to the first byte
 * of the MMIO window once it is up, and the VMM logs how long that took since the VMM started,
 * in wall time and in the process's CPU time.
 */
public final class BootTimerDevice implements BusDevice {
    public static final long MMIO_BASE = 0xd000_0000L;
    public static final long MMIO_SIZE = 0x1000;
    public static final int MAGIC = 123;

    private static final System.Logger LOG = Log.logger(BootTimerDevice.class);

    private final long startNanos;
    private final long startCpuNanos;
    private volatile long bootNanos = -1;

    /**
     * @param startNanos    {@link System#nanoTime()} at VMM start
     * @param startCpuNanos process CPU time at VMM start (0 to count from process birth)
     */
    public BootTimerDevice(long startNanos, long startCpuNanos) {
        this.startNanos = startNanos;
        this.startCpuNanos = startCpuNanos;
        // Loads libmanagement now, on the thread that builds the VM: the first read from write()
        // would dlopen it on the vCPU thread, whose seccomp filter refuses executable mappings.
        ProcessCpu.nanos();
    }

    @Override
    public long read(long offset, int size) {
        return 0;
    }

    @Override
    public void write(long offset, int size, long value) {
        if (offset != 0 || (value & 0xff) != MAGIC || bootNanos >= 0) {
            return;
        }
        long wall = System.nanoTime() - startNanos;
        bootNanos = wall;
        long cpu = ProcessCpu.nanos() - startCpuNanos;
        LOG.log(System.Logger.Level.INFO, String.format("Guest-boot-time = %d us %d ms, %d CPU us %d CPU ms",
                wall / 1000, wall / 1_000_000, cpu / 1000, cpu / 1_000_000));
    }

    /** Nanoseconds from VMM start to the guest's signal, or -1 if it has not signalled. */
    public long bootNanos() {
        return bootNanos;
    }
}
