package dev.ember.devices.virtio;

import dev.ember.bus.Bus;
import dev.ember.bus.BusDevice;
import dev.ember.eventloop.EventFd;
import dev.ember.eventloop.EventLoop;
import dev.ember.eventloop.ThreadConfinement;
import dev.ember.irq.InterruptLine;
import dev.ember.log.RateLimitedLog;
import dev.ember.memory.GuestMemory;
import dev.ember.memory.GuestMemoryException;
import dev.ember.snapshot.Snapshottable;
import dev.ember.snapshot.StateReader;
import dev.ember.snapshot.StateWriter;
import dev.ember.sys.LibC;
import dev.ember.vm.IoEventRegistrar;
import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * The virtio-mmio transport, version 2 (virtio 1.2, 4.2.2; modern devices only), as one 4 KiB
 * window on the MMIO bus.
 *
 * <p>Threading: register accesses arrive on vCPU threads and only touch transport registers
 * (under this object's monitor) or signal eventfds. Everything that touches a virtqueue or the
 * backend runs on the event-loop thread: queue kicks arrive there through one eventfd per queue
 * (a KVM ioeventfd on QueueNotify with datamatch = queue index, or signalled by
 * {@link #write} when a notify reaches user space), and so do activation and reset; the
 * loop-side methods check their thread at entry ({@link ThreadConfinement}). No register access
 * blocks a vCPU: a reset (Status = 0) clears the registers at once and leaves dropping the
 * queue state to the loop; until the loop has done so, Status reads as DEVICE_NEEDS_RESET
 * (non-zero), and a driver waits for it to read 0 before it reuses the rings (virtio 1.2,
 * 2.4.2), after which the device no longer touches them.
 */
public final class VirtioMmioDevice implements BusDevice, VirtioTransport, Snapshottable, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(VirtioMmioDevice.class.getName());

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

    private static final AtomicIntegerFieldUpdater<VirtioMmioDevice> INTERRUPT_STATUS =
            AtomicIntegerFieldUpdater.newUpdater(VirtioMmioDevice.class, "interruptStatus");
    private static final AtomicIntegerFieldUpdater<VirtioMmioDevice> RESETS_IN_FLIGHT =
            AtomicIntegerFieldUpdater.newUpdater(VirtioMmioDevice.class, "resetsInFlight");

    private final VirtioDevice device;
    private final GuestMemory memory;
    private final long base;
    private final InterruptLine irq;
    /*
     * Lines this device's driver causes, each kind bounded (10 at once, then one per 10 s, the
     * count of those left out in the next): a driver that resets and fails again in a loop cannot
     * flood the log.
     */
    private final RateLimitedLog driverFailedLog = new RateLimitedLog(LOG, 10, 10_000);
    private final RateLimitedLog featuresLog = new RateLimitedLog(LOG, 10, 10_000);
    private final RateLimitedLog activateLog = new RateLimitedLog(LOG, 10, 10_000);
    private final RateLimitedLog deviceErrorLog = new RateLimitedLog(LOG, 10, 10_000);
    /** The device's counter of interrupts the line could not raise, or null. */
    private final DeviceCounter interruptFailures;
    private final EventLoop loop;
    private final DeviceMetrics metrics;
    private final int queueCount;
    private final long deviceFeatures;

    // Transport registers: written on vCPU threads under the monitor.
    private int deviceFeaturesSel;
    private int driverFeaturesSel;
    private long driverFeatures;
    private int queueSel;
    private final int[] queueNum;
    private final boolean[] queueReady;
    private final long[] queueDesc;
    private final long[] queueDriver;
    private final long[] queueDevice;
    private volatile int status;
    private volatile int interruptStatus;
    private volatile int configGeneration;
    /** Resets the driver wrote whose queue-state part the event loop has not run yet. */
    private volatile int resetsInFlight;

    // Event-loop state.
    private final SplitQueue[] queues;
    private final EventFd[] notifyFds;
    private boolean activated;
    private volatile boolean broken;
    private volatile long negotiated;
    private final Runnable activateTask = this::activateOnLoop;
    private final Runnable resetTask = this::resetOnLoop;

    private VirtioMmioDevice(VirtioDevice device, GuestMemory memory, long base, InterruptLine irq, EventLoop loop) {
        this.device = device;
        this.memory = memory;
        this.base = base;
        this.irq = irq;
        this.loop = loop;
        this.metrics = device.metrics();
        this.interruptFailures = device.interruptFailures();
        this.queueCount = device.queueCount();
        this.deviceFeatures = device.deviceFeatures() | Virtio.bit(Virtio.F_VERSION_1);
        this.queueNum = new int[queueCount];
        this.queueReady = new boolean[queueCount];
        this.queueDesc = new long[queueCount];
        this.queueDriver = new long[queueCount];
        this.queueDevice = new long[queueCount];
        this.queues = new SplitQueue[queueCount];
        this.notifyFds = new EventFd[queueCount];
        for (int i = 0; i < queueCount; i++) {
            queues[i] = new SplitQueue(i, memory, loop);
            queueNum[i] = Virtio.MAX_QUEUE_SIZE;
        }
    }

    /**
     * Creates the transport for {@code device}, binds one eventfd per queue to QueueNotify (KVM
     * ioeventfd, datamatch = queue index) and to the event loop, and registers the register
     * window at {@code base} on {@code mmioBus}. This is the one call the VMM makes per device.
     */
    public static VirtioMmioDevice attach(VirtioDevice device, GuestMemory memory, Bus mmioBus, long base,
            IoEventRegistrar ioEvents, InterruptLine irq, EventLoop loop) {
        VirtioMmioDevice t = new VirtioMmioDevice(device, memory, base, irq, loop);
        device.attach(loop);
        for (int i = 0; i < t.queueCount; i++) {
            EventFd fd = EventFd.nonBlocking();
            t.notifyFds[i] = fd;
            ioEvents.registerIoEvent(base + REG_QUEUE_NOTIFY, 4, i, fd);
            final int q = i;
            loop.register(fd.fd(), LibC.EPOLLIN, events -> t.onNotifyEvent(q));
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
        return device;
    }

    public long base() {
        return base;
    }

    public int status() {
        return status;
    }

    // ---- vCPU side -------------------------------------------------------------------------

    @Override
    public long read(long offset, int size) {
        if (offset >= REG_CONFIG) {
            return device.readConfig((int) (offset - REG_CONFIG), size);
        }
        if (size != 4 || (offset & 3) != 0) {
            metrics.cfgFails.inc(); // 4.2.2.2: control registers are 32 bit wide and aligned
            return 0;
        }
        switch ((int) offset) {
            case REG_MAGIC: return MAGIC;
            case REG_VERSION: return VERSION;
            case REG_DEVICE_ID: return device.deviceType();
            case REG_VENDOR_ID: return VENDOR_ID & 0xFFFF_FFFFL;
            case REG_DEVICE_FEATURES: return readDeviceFeatures();
            case REG_QUEUE_NUM_MAX: return queueSelValid() ? Virtio.MAX_QUEUE_SIZE : 0;
            case REG_QUEUE_READY: return readQueueReady();
            case REG_INTERRUPT_STATUS: return interruptStatus;
            case REG_STATUS: return resetsInFlight == 0 ? status : status | Virtio.STATUS_DEVICE_NEEDS_RESET;
            case REG_SHM_LEN_LOW: case REG_SHM_LEN_HIGH: case REG_SHM_BASE_LOW: case REG_SHM_BASE_HIGH:
                return 0xFFFF_FFFFL; // no shared memory regions: length -1
            case REG_QUEUE_RESET: return 0;
            case REG_CONFIG_GENERATION: return configGeneration;
            default:
                metrics.cfgFails.inc();
                return 0;
        }
    }

    private synchronized long readDeviceFeatures() {
        switch (deviceFeaturesSel) {
            case 0: return deviceFeatures & 0xFFFF_FFFFL;
            case 1: return deviceFeatures >>> 32;
            default: return 0;
        }
    }

    private synchronized long readQueueReady() {
        return queueSelValid() && queueReady[queueSel] ? 1 : 0;
    }

    private boolean queueSelValid() {
        return queueSel >= 0 && queueSel < queueCount;
    }

    @Override
    public void write(long offset, int size, long value) {
        if (offset >= REG_CONFIG) {
            device.writeConfig((int) (offset - REG_CONFIG), size, value);
            return;
        }
        if (size != 4 || (offset & 3) != 0) {
            metrics.cfgFails.inc();
            return;
        }
        int v = (int) value;
        switch ((int) offset) {
            case REG_QUEUE_NOTIFY:
                if (v >= 0 && v < queueCount) {
                    notifyFds[v].write(1); // a kick KVM did not consume as an ioeventfd
                } else {
                    metrics.cfgFails.inc();
                }
                return;
            case REG_INTERRUPT_ACK:
                clearInterrupt(v);
                return;
            case REG_STATUS:
                writeStatus(v);
                return;
            default:
                writeRegister((int) offset, v);
        }
    }

    private synchronized void writeRegister(int offset, int v) {
        switch (offset) {
            case REG_DEVICE_FEATURES_SEL: deviceFeaturesSel = v; return;
            case REG_DRIVER_FEATURES_SEL: driverFeaturesSel = v; return;
            case REG_QUEUE_SEL: queueSel = v; return;
            case REG_SHM_SEL: return;
            case REG_DRIVER_FEATURES:
                if (!inState(Virtio.STATUS_DRIVER, Virtio.STATUS_FEATURES_OK | Virtio.STATUS_FAILED)) {
                    rejected("DriverFeatures", "only between DRIVER and FEATURES_OK");
                } else if (driverFeaturesSel == 0) {
                    driverFeatures = (driverFeatures & 0xFFFF_FFFF_0000_0000L) | (v & 0xFFFF_FFFFL);
                } else if (driverFeaturesSel == 1) {
                    driverFeatures = (driverFeatures & 0xFFFF_FFFFL) | ((long) v << 32);
                } else if (v != 0) {
                    rejected("DriverFeatures", "bits beyond 63 do not exist");
                }
                return;
            default:
                writeQueueRegister(offset, v);
        }
    }

    private void writeQueueRegister(int offset, int v) {
        if (!inState(Virtio.STATUS_FEATURES_OK, Virtio.STATUS_DRIVER_OK | Virtio.STATUS_FAILED) || !queueSelValid()) {
            rejected("queue register 0x" + Integer.toHexString(offset), "queues are set up after FEATURES_OK, before DRIVER_OK, on an existing QueueSel");
            return;
        }
        int q = queueSel;
        long low = v & 0xFFFF_FFFFL;
        long high = (long) v << 32;
        if (offset == REG_QUEUE_READY) {
            queueReady[q] = v == 1;
            return;
        }
        if (queueReady[q]) {
            rejected("queue register 0x" + Integer.toHexString(offset), "queue " + q + " is already ready");
            return;
        }
        switch (offset) {
            case REG_QUEUE_NUM: queueNum[q] = v; return;
            case REG_QUEUE_DESC_LOW: queueDesc[q] = (queueDesc[q] & 0xFFFF_FFFF_0000_0000L) | low; return;
            case REG_QUEUE_DESC_HIGH: queueDesc[q] = (queueDesc[q] & 0xFFFF_FFFFL) | high; return;
            case REG_QUEUE_DRIVER_LOW: queueDriver[q] = (queueDriver[q] & 0xFFFF_FFFF_0000_0000L) | low; return;
            case REG_QUEUE_DRIVER_HIGH: queueDriver[q] = (queueDriver[q] & 0xFFFF_FFFFL) | high; return;
            case REG_QUEUE_DEVICE_LOW: queueDevice[q] = (queueDevice[q] & 0xFFFF_FFFF_0000_0000L) | low; return;
            case REG_QUEUE_DEVICE_HIGH: queueDevice[q] = (queueDevice[q] & 0xFFFF_FFFFL) | high; return;
            default:
                metrics.cfgFails.inc();
        }
    }

    private boolean inState(int required, int forbidden) {
        int s = status;
        return (s & required) == required && (s & forbidden) == 0;
    }

    private void rejected(String register, String rule) {
        metrics.cfgFails.inc();
        if (LOG.isLoggable(Level.DEBUG)) {
            LOG.log(Level.DEBUG, "virtio {0}: ignored write to {1}: {2} (status 0x{3})", device.name(), register, rule,
                    Integer.toHexString(status));
        }
    }

    private void clearInterrupt(int bits) {
        int cur;
        do {
            cur = interruptStatus;
        } while (!INTERRUPT_STATUS.compareAndSet(this, cur, cur & ~bits));
    }

    private void raiseInterrupt(int bit) {
        int cur;
        do {
            cur = interruptStatus;
        } while (!INTERRUPT_STATUS.compareAndSet(this, cur, cur | bit));
        if (!irq.trigger() && interruptFailures != null) {
            interruptFailures.inc();
        }
    }

    /** 3.1.1 device initialisation: status bits are only ever added, in order, until a reset. */
    private void writeStatus(int v) {
        if (v == 0) {
            reset();
            return;
        }
        boolean activate = false;
        synchronized (this) {
            int old = status & ~Virtio.STATUS_DEVICE_NEEDS_RESET;
            int req = v & ~Virtio.STATUS_DEVICE_NEEDS_RESET;
            if ((old & ~req) != 0) {
                rejected("Status", "a driver may not clear status bits except by writing 0");
                return;
            }
            int added = req & ~old;
            int next = status;
            if ((added & Virtio.STATUS_FAILED) != 0) {
                next |= Virtio.STATUS_FAILED;
                driverFailedLog.log(Level.WARNING, () -> "virtio " + device.name() + ": the driver gave up on the device (FAILED)");
            }
            if ((added & Virtio.STATUS_ACKNOWLEDGE) != 0) {
                next |= Virtio.STATUS_ACKNOWLEDGE;
            }
            if ((added & Virtio.STATUS_DRIVER) != 0) {
                if ((next & Virtio.STATUS_ACKNOWLEDGE) == 0) {
                    rejected("Status", "DRIVER before ACKNOWLEDGE");
                    return;
                }
                next |= Virtio.STATUS_DRIVER;
            }
            if ((added & Virtio.STATUS_FEATURES_OK) != 0) {
                if ((next & Virtio.STATUS_DRIVER) == 0) {
                    rejected("Status", "FEATURES_OK before DRIVER");
                    return;
                }
                String why = featuresProblem();
                if (why != null) {
                    // Leaving FEATURES_OK clear tells the driver its subset was refused (3.1.1 step 6).
                    metrics.cfgFails.inc();
                    long refused = driverFeatures;
                    featuresLog.log(Level.WARNING, () -> "virtio " + device.name() + ": refusing features 0x"
                            + Long.toHexString(refused) + ": " + why);
                } else {
                    next |= Virtio.STATUS_FEATURES_OK;
                    negotiated = driverFeatures;
                }
            }
            if ((added & Virtio.STATUS_DRIVER_OK) != 0) {
                if ((next & Virtio.STATUS_FEATURES_OK) == 0) {
                    rejected("Status", "DRIVER_OK before FEATURES_OK");
                    return;
                }
                next |= Virtio.STATUS_DRIVER_OK;
                VirtqueueException why = queuesProblem();
                if (why != null) {
                    next |= Virtio.STATUS_DEVICE_NEEDS_RESET;
                    metrics.activateFails.inc();
                    metrics.errors(why.reason()).inc();
                    activateLog.log(Level.WARNING, () -> "virtio " + device.name() + ": cannot activate: " + why.getMessage()
                            + "; device needs reset");
                    status = next;
                    raiseInterrupt(Virtio.INT_CONFIG);
                    return;
                }
                activate = (next & Virtio.STATUS_FAILED) == 0;
            }
            status = next;
        }
        if (activate) {
            loop.execute(activateTask);
        }
    }

    private String featuresProblem() {
        long unknown = driverFeatures & ~deviceFeatures;
        if (unknown != 0) {
            return "the driver accepted features the device does not offer: 0x" + Long.toHexString(unknown);
        }
        if ((driverFeatures & Virtio.bit(Virtio.F_VERSION_1)) == 0) {
            return "VIRTIO_F_VERSION_1 not accepted; this transport serves modern drivers only";
        }
        return null;
    }

    /** What is wrong with the queues the driver set up, or null when all can be armed. */
    private VirtqueueException queuesProblem() {
        for (int q = 0; q < queueCount; q++) {
            if (queueReady[q]) {
                try {
                    SplitQueue.validate(memory, q, queueNum[q], Virtio.MAX_QUEUE_SIZE, queueDesc[q], queueDriver[q],
                            queueDevice[q]);
                } catch (VirtqueueException e) {
                    return e;
                }
            } else if (device.queueRequired(q)) {
                return new VirtqueueException(VirtqueueException.Reason.QUEUE_NOT_READY, "queue " + q + " was not made ready");
            }
        }
        return null;
    }

    /**
     * Device reset (Status = 0): registers now, queue state on the event loop; returns without
     * waiting for the loop. Status reads non-zero until the loop is done (see the class comment).
     */
    private void reset() {
        synchronized (this) {
            status = 0;
            deviceFeaturesSel = driverFeaturesSel = queueSel = 0;
            driverFeatures = 0;
            for (int q = 0; q < queueCount; q++) {
                queueNum[q] = Virtio.MAX_QUEUE_SIZE;
                queueReady[q] = false;
                queueDesc[q] = queueDriver[q] = queueDevice[q] = 0;
            }
            interruptStatus = 0;
            RESETS_IN_FLIGHT.incrementAndGet(this);
        }
        loop.execute(resetTask);
    }

    // ---- event-loop side -------------------------------------------------------------------

    private void activateOnLoop() {
        ThreadConfinement.requireLoop(loop, "VirtioMmioDevice.activateOnLoop");
        if ((status & Virtio.STATUS_DRIVER_OK) == 0 || activated) {
            return; // reset raced ahead of us
        }
        long f = negotiated;
        boolean eventIdx = (f & Virtio.bit(Virtio.F_RING_EVENT_IDX)) != 0;
        boolean indirect = (f & Virtio.bit(Virtio.F_RING_INDIRECT_DESC)) != 0;
        synchronized (this) {
            for (int q = 0; q < queueCount; q++) {
                if (queueReady[q]) {
                    queues[q].activate(queueNum[q], queueDesc[q], queueDriver[q], queueDevice[q], eventIdx, indirect);
                }
            }
        }
        activated = true;
        try {
            device.activate(this);
        } catch (RuntimeException e) {
            metrics.activateFails.inc();
            deviceError(VirtqueueException.Reason.ACTIVATION, "activation failed: " + e.getMessage());
            return;
        }
        for (int q = 0; q < queueCount; q++) {
            if (queues[q].ready()) {
                serveQueue(q); // buffers made available before DRIVER_OK took effect
            }
        }
    }

    private void resetOnLoop() {
        ThreadConfinement.requireLoop(loop, "VirtioMmioDevice.resetOnLoop");
        activated = false;
        broken = false;
        for (SplitQueue q : queues) {
            q.reset();
        }
        for (EventFd fd : notifyFds) {
            if (fd != null) {
                fd.read();
            }
        }
        device.reset();
        RESETS_IN_FLIGHT.decrementAndGet(this); // last: Status reads 0 only once all of the above is done
    }

    private void onNotifyEvent(int q) {
        ThreadConfinement.requireLoop(loop, "VirtioMmioDevice.onNotifyEvent");
        notifyFds[q].read();
        // While a reset is in flight the rings belong to no one: the driver may be freeing them.
        // A kick for the next set-up is not lost: activation serves every ready queue.
        if (activated && !broken && resetsInFlight == 0 && queues[q].ready()) {
            serveQueue(q);
        }
    }

    private void serveQueue(int q) {
        try {
            device.onQueueNotify(q);
        } catch (VirtqueueException e) {
            deviceError(e);
        } catch (GuestMemoryException e) {
            deviceError(e);
        }
    }

    @Override
    public GuestMemory memory() {
        return memory;
    }

    @Override
    public EventLoop eventLoop() {
        return loop;
    }

    @Override
    public SplitQueue queue(int index) {
        return queues[index];
    }

    @Override
    public long negotiatedFeatures() {
        return negotiated;
    }

    @Override
    public void notifyUsed(SplitQueue queue) {
        ThreadConfinement.requireLoop(loop, "VirtioMmioDevice.notifyUsed");
        if (queue.needsInterrupt()) {
            raiseInterrupt(Virtio.INT_USED_RING);
        }
    }

    @Override
    public void configChanged() {
        ThreadConfinement.requireLoop(loop, "VirtioMmioDevice.configChanged"); // configGeneration++ is not atomic
        configGeneration++;
        if ((status & Virtio.STATUS_DRIVER_OK) != 0) {
            raiseInterrupt(Virtio.INT_CONFIG);
        }
    }

    @Override
    public void deviceError(VirtqueueException.Reason reason, String detail) {
        ThreadConfinement.requireLoop(loop, "VirtioMmioDevice.deviceError");
        if (broken) {
            return;
        }
        broken = true;
        metrics.deviceErrors.inc();
        metrics.errors(reason).inc();
        deviceErrorLog.log(Level.WARNING, () -> "virtio " + device.name() + ": device error (" + reason + "), DEVICE_NEEDS_RESET set: "
                + detail);
        synchronized (this) {
            status |= Virtio.STATUS_DEVICE_NEEDS_RESET;
        }
        raiseInterrupt(Virtio.INT_CONFIG);
    }

    @Override
    public boolean broken() {
        return broken;
    }

    // ---- snapshots (event-loop thread, VM paused) -----------------------------------------

    /**
     * Transport registers, negotiated features, activation state and each queue's ring
     * positions. Call on the event-loop thread while the vCPUs are paused, so neither a register
     * write nor a queue pass runs meanwhile.
     */
    @Override
    public void saveState(StateWriter out) {
        requireLoopThread("saveState");
        synchronized (this) {
            out.i32(device.deviceType()).i32(queueCount);
            out.i32(status).i32(interruptStatus).i32(configGeneration);
            out.i32(deviceFeaturesSel).i32(driverFeaturesSel).i64(driverFeatures).i32(queueSel);
            out.i64(negotiated).bool(activated).bool(broken);
            out.ints(queueNum).booleans(queueReady).longs(queueDesc).longs(queueDriver).longs(queueDevice);
            for (SplitQueue q : queues) {
                out.bool(q.ready()).u16(q.lastAvailIndex()).u16(q.nextUsedIndex()).u16(q.usedAtLastSignal());
            }
        }
        device.saveDeviceState(out);
    }

    /**
     * Puts a freshly attached transport (same device type, same queues) into the saved state and,
     * if the driver had activated it, re-arms its queues at the saved ring positions, activates the
     * device and serves whatever the driver made available meanwhile. Event-loop thread.
     */
    @Override
    public void restoreState(StateReader in) {
        requireLoopThread("restoreState");
        int type = in.i32("virtio device type");
        if (type != device.deviceType()) {
            throw in.invalid("virtio device type", "is " + type + " but the device at 0x" + Long.toHexString(base)
                    + " (" + device.name() + ") has type " + device.deviceType());
        }
        in.i32("virtio queue count", queueCount, queueCount);
        boolean wasActivated;
        int[] positions = new int[queueCount * 3];
        boolean[] armed = new boolean[queueCount];
        synchronized (this) {
            status = in.i32("virtio status", 0, 0xff);
            interruptStatus = in.i32("virtio interrupt status", 0, 3);
            configGeneration = in.i32("virtio config generation");
            deviceFeaturesSel = in.i32("virtio DeviceFeaturesSel");
            driverFeaturesSel = in.i32("virtio DriverFeaturesSel");
            driverFeatures = in.i64("virtio DriverFeatures");
            queueSel = in.i32("virtio QueueSel");
            negotiated = in.i64("virtio negotiated features");
            wasActivated = in.bool("virtio activated");
            broken = in.bool("virtio broken");
            int[] num = in.ints("virtio QueueNum", queueCount);
            boolean[] ready = in.booleans("virtio QueueReady", queueCount);
            long[] desc = in.longs("virtio QueueDesc", queueCount);
            long[] drv = in.longs("virtio QueueDriver", queueCount);
            long[] dev = in.longs("virtio QueueDevice", queueCount);
            for (int q = 0; q < queueCount; q++) {
                armed[q] = in.bool("virtio queue armed");
                positions[3 * q] = in.u16("virtio last_avail");
                positions[3 * q + 1] = in.u16("virtio next_used");
                positions[3 * q + 2] = in.u16("virtio used at last interrupt");
            }
            if ((negotiated & ~deviceFeatures) != 0) {
                throw in.invalid("virtio negotiated features", "0x" + Long.toHexString(negotiated)
                        + " include features " + device.name() + " does not offer (0x" + Long.toHexString(deviceFeatures) + ")");
            }
            for (int q = 0; q < queueCount; q++) {
                queueNum[q] = num[q];
                queueReady[q] = ready[q];
                queueDesc[q] = desc[q];
                queueDriver[q] = drv[q];
                queueDevice[q] = dev[q];
                if (armed[q]) {
                    try {
                        SplitQueue.validate(memory, q, num[q], Virtio.MAX_QUEUE_SIZE, desc[q], drv[q], dev[q]);
                    } catch (VirtqueueException e) {
                        throw in.invalid("virtio queue " + q, e.getMessage());
                    }
                }
            }
        }
        device.restoreDeviceState(in);
        if (!wasActivated) {
            return;
        }
        long f = negotiated;
        boolean eventIdx = (f & Virtio.bit(Virtio.F_RING_EVENT_IDX)) != 0;
        boolean indirect = (f & Virtio.bit(Virtio.F_RING_INDIRECT_DESC)) != 0;
        for (int q = 0; q < queueCount; q++) {
            if (armed[q]) {
                queues[q].restore(queueNum[q], queueDesc[q], queueDriver[q], queueDevice[q], eventIdx, indirect,
                        positions[3 * q], positions[3 * q + 1], positions[3 * q + 2]);
            }
        }
        activated = true;
        try {
            device.activate(this);
        } catch (RuntimeException e) {
            metrics.activateFails.inc();
            deviceError(VirtqueueException.Reason.ACTIVATION, "re-activation after snapshot load failed: " + e.getMessage());
            return;
        }
        if (!broken) {
            for (int q = 0; q < queueCount; q++) {
                if (queues[q].ready()) {
                    serveQueue(q); // buffers the driver queued before the snapshot and the device had not served
                }
            }
        }
    }

    private void requireLoopThread(String what) {
        if (!loop.inLoop()) {
            throw new IllegalStateException(what + " must run on the event-loop thread (it owns the virtqueues)");
        }
    }

    /** Interrupt status bits not yet acknowledged (for tests and diagnostics). */
    public int interruptStatus() {
        return interruptStatus;
    }

    @Override
    public void close() {
        for (EventFd fd : notifyFds) {
            if (fd != null) {
                loop.unregister(fd.fd());
                fd.close();
            }
        }
        device.close();
    }
}
