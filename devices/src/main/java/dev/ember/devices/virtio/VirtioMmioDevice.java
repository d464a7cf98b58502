package dev.ember.devices.virtio;

import dev.ember.eventloop.EventFd;
import dev.ember.bus.Bus;
import dev.ember.bus.BusDevice;
import dev.ember.devices.virtio.VirtioTransportCore.QueueRegister;
import dev.ember.eventloop.EventLoop;
import dev.ember.irq.InterruptLine;
import dev.ember.memory.GuestMemory;
import dev.ember.snapshot.Snapshottable;
import dev.ember.snapshot.StateReader;
import dev.ember.snapshot.StateWriter;
import dev.ember.vm.IoEventRegistrar;

/**
 * The virtio-mmio transport, version 2 (virtio 1.2, 4.2.2; modern devices only), as one 4 KiB
 * window on the MMIO bus: the register map over a {@link VirtioTransportCore}, which holds the
 * state every transport shares (and says how the threads divide the work). Queue kicks reach the
 * core's eventfds through a KVM ioeventfd on QueueNotify (datamatch = queue index), or through
 * {@link #write} when a notify reaches user space; both interrupt kinds raise the device's one line.
 */
public final class VirtioMmioDevice implements BusDevice, Snapshottable, AutoCloseable {
    /** Size of the register window each device occupies on the MMIO bus. */
    public static final long WINDOW_SIZE = 0x1000;
    /** Firecracker's layout: device n at {@code FIRST_BASE + n * WINDOW_SIZE} with GSI {@code FIRST_IRQ + n}. */
    public static final long FIRST_BASE = 0xD000_1000L;
    public static final int FIRST_IRQ = 5;

    public static final int MAGIC = 0x7472_6976; // "virt"
    public static final int VERSION = 2;
    public static final int VENDOR_ID = 0x5242_4D45; // "EMBR"

    // 4.2.2 register offsets
    static final int REG_MAGIC = 0x000, REG_VERSION = 0x004, REG_DEVICE_ID = 0x008, REG_VENDOR_ID = 0x00c,
            REG_DEVICE_FEATURES = 0x010, REG_DEVICE_FEATURES_SEL = 0x014, REG_DRIVER_FEATURES = 0x020,
            REG_DRIVER_FEATURES_SEL = 0x024, REG_QUEUE_SEL = 0x030, REG_QUEUE_NUM_MAX = 0x034,
            REG_QUEUE_NUM = 0x038, REG_QUEUE_READY = 0x044, REG_QUEUE_NOTIFY = 0x050,
            REG_INTERRUPT_STATUS = 0x060, REG_INTERRUPT_ACK = 0x064, REG_STATUS = 0x070,
            REG_QUEUE_DESC_LOW = 0x080, REG_QUEUE_DESC_HIGH = 0x084, REG_QUEUE_DRIVER_LOW = 0x090,
            REG_QUEUE_DRIVER_HIGH = 0x094, REG_QUEUE_DEVICE_LOW = 0x0a0, REG_QUEUE_DEVICE_HIGH = 0x0a4,
            REG_SHM_SEL = 0x0ac, REG_SHM_LEN_LOW = 0x0b0, REG_SHM_LEN_HIGH = 0x0b4, REG_SHM_BASE_LOW = 0x0b8,
            REG_SHM_BASE_HIGH = 0x0bc, REG_QUEUE_RESET = 0x0c0, REG_CONFIG_GENERATION = 0x0fc, REG_CONFIG = 0x100;

    private final VirtioTransportCore core;
    private final long base;
    private final InterruptLine irq;

    private VirtioMmioDevice(VirtioDevice device, GuestMemory memory, long base, InterruptLine irq, EventLoop loop) {
        this.base = base;
        this.irq = irq;
        this.core = new VirtioTransportCore(device, memory, loop, new VirtioTransportCore.Interrupts() {
            @Override public boolean usedBuffer(int queue) { return irq.trigger(); }
            @Override public boolean configChange() { return irq.trigger(); }
            @Override public EventFd usedBufferFd(int queue) { return irq.eventFd(); }
        }, "at 0x" + Long.toHexString(base));
    }

    /**
     * Creates the transport for {@code device}, binds one eventfd per queue to QueueNotify (KVM
     * ioeventfd, datamatch = queue index) and to the event loop, and registers the register
     * window at {@code base} on {@code mmioBus}. This is the one call the VMM makes per device.
     */
    public static VirtioMmioDevice attach(VirtioDevice device, GuestMemory memory, Bus mmioBus, long base,
            IoEventRegistrar ioEvents, InterruptLine irq, EventLoop loop) {
        VirtioMmioDevice t = new VirtioMmioDevice(device, memory, base, irq, loop);
        for (int i = 0; i < t.core.queueCount(); i++) {
            ioEvents.registerIoEvent(base + REG_QUEUE_NOTIFY, 4, i, t.core.notifyFd(i));
        }
        mmioBus.register(base, WINDOW_SIZE, t);
        return t;
    }

    /** Base address of the {@code n}-th virtio-mmio device in Firecracker's layout. */
    public static long baseFor(int n) {
        return FIRST_BASE + n * WINDOW_SIZE;
    }

    /** GSI of the {@code n}-th virtio-mmio device in Firecracker's layout. */
    public static int irqFor(int n) {
        return FIRST_IRQ + n;
    }

    /** The kernel command-line fragment that makes Linux probe this device. */
    public String kernelCommandLineArgument() {
        return String.format("virtio_mmio.device=4K@0x%x:%d", base, irq.gsi());
    }

    public VirtioDevice device() {
        return core.device();
    }

    /** The transport-neutral state under these registers (what the device sees as its transport). */
    public VirtioTransportCore core() {
        return core;
    }

    public long base() {
        return base;
    }

    public int status() {
        return core.status();
    }

    /** Interrupt status bits not yet acknowledged (for tests and diagnostics). */
    public int interruptStatus() {
        return core.interruptStatus();
    }

    // ---- vCPU side -------------------------------------------------------------------------

    @Override
    public long read(long offset, int size) {
        if (offset >= REG_CONFIG) {
            return core.device().readConfig((int) (offset - REG_CONFIG), size);
        }
        if (size != 4 || (offset & 3) != 0) {
            core.rejectedAccess(); // 4.2.2.2: control registers are 32 bit wide and aligned
            return 0;
        }
        switch ((int) offset) {
            case REG_MAGIC: return MAGIC;
            case REG_VERSION: return VERSION;
            case REG_DEVICE_ID: return core.device().deviceType();
            case REG_VENDOR_ID: return VENDOR_ID & 0xFFFF_FFFFL;
            case REG_DEVICE_FEATURES: return core.readDeviceFeatures();
            case REG_QUEUE_NUM_MAX: return core.queueSelectValid() ? Virtio.MAX_QUEUE_SIZE : 0;
            case REG_QUEUE_READY: return core.readQueue(QueueRegister.READY);
            case REG_INTERRUPT_STATUS: return core.interruptStatus();
            case REG_STATUS: return core.readStatus();
            case REG_SHM_LEN_LOW: case REG_SHM_LEN_HIGH: case REG_SHM_BASE_LOW: case REG_SHM_BASE_HIGH:
                return 0xFFFF_FFFFL; // no shared memory regions: length -1
            case REG_QUEUE_RESET: return 0;
            case REG_CONFIG_GENERATION: return core.configGeneration();
            default:
                core.rejectedAccess();
                return 0;
        }
    }

    @Override
    public void write(long offset, int size, long value) {
        if (offset >= REG_CONFIG) {
            core.device().writeConfig((int) (offset - REG_CONFIG), size, value);
            return;
        }
        if (size != 4 || (offset & 3) != 0) {
            core.rejectedAccess();
            return;
        }
        int v = (int) value;
        switch ((int) offset) {
            case REG_QUEUE_NOTIFY: core.kick(v); return; // a kick KVM did not consume as an ioeventfd
            case REG_INTERRUPT_ACK: core.acknowledgeInterrupt(v); return;
            case REG_STATUS: core.writeStatus(v); return;
            case REG_DEVICE_FEATURES_SEL: core.selectDeviceFeatures(v); return;
            case REG_DRIVER_FEATURES_SEL: core.selectDriverFeatures(v); return;
            case REG_QUEUE_SEL: core.selectQueue(v); return;
            case REG_SHM_SEL: return;
            case REG_DRIVER_FEATURES: core.writeDriverFeatures(v); return;
            case REG_QUEUE_NUM: core.writeQueue(QueueRegister.SIZE, v); return;
            case REG_QUEUE_READY: core.writeQueue(QueueRegister.READY, v); return;
            case REG_QUEUE_DESC_LOW: core.writeQueue(QueueRegister.DESC_LOW, v); return;
            case REG_QUEUE_DESC_HIGH: core.writeQueue(QueueRegister.DESC_HIGH, v); return;
            case REG_QUEUE_DRIVER_LOW: core.writeQueue(QueueRegister.DRIVER_LOW, v); return;
            case REG_QUEUE_DRIVER_HIGH: core.writeQueue(QueueRegister.DRIVER_HIGH, v); return;
            case REG_QUEUE_DEVICE_LOW: core.writeQueue(QueueRegister.DEVICE_LOW, v); return;
            case REG_QUEUE_DEVICE_HIGH: core.writeQueue(QueueRegister.DEVICE_HIGH, v); return;
            default: core.rejectedAccess();
        }
    }

    // ---- snapshots (event-loop thread, VM paused) -----------------------------------------

    /** The core's state: an MMIO transport has no registers of its own beyond it. */
    @Override
    public void saveState(StateWriter out) {
        core.saveState(out);
    }

    @Override
    public void restoreState(StateReader in) {
        core.restoreState(in);
    }

    @Override
    public void close() {
        core.close();
    }
}
