package dev.ember.devices.virtio;

import dev.ember.eventloop.EventFd;
import dev.ember.eventloop.EventLoop;
import dev.ember.eventloop.ThreadConfinement;
import dev.ember.log.Log;
import dev.ember.log.RateLimitedLog;
import dev.ember.memory.GuestMemory;
import dev.ember.memory.GuestMemoryException;
import dev.ember.snapshot.StateReader;
import dev.ember.snapshot.StateWriter;
import dev.ember.sys.LibC;
import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * The transport-neutral half of a virtio transport (virtio 1.2, 2 and 3): feature negotiation,
 * the device status state machine, queue configuration and readiness, activation and reset,
 * DEVICE_NEEDS_RESET on a device error, the configuration generation, the interrupt status bits
 * (MMIO's InterruptStatus and PCI's ISR mean the same two bits) and snapshots of all of it. A
 * transport ({@link VirtioMmioDevice}, {@code VirtioPciDevice}) is a register map over one of
 * these plus the way it delivers an interrupt ({@link Interrupts}).
 *
 * <p>Threading: the register-level methods run on vCPU threads and only touch fields under this
 * object's monitor or signal eventfds. Everything that touches a virtqueue or the backend runs on
 * the event-loop thread: queue kicks arrive there through one eventfd per queue (a KVM ioeventfd
 * the transport binds to its notify address, or signalled by {@link #kick} when a notify reaches
 * user space), and so do activation and reset; the loop-side methods check their thread at entry
 * ({@link ThreadConfinement}). No register access blocks a vCPU: a reset (status 0) clears the
 * registers at once and leaves dropping the queue state to the loop; until the loop has done so,
 * the status reads as DEVICE_NEEDS_RESET (non-zero), and a driver waits for it to read 0 before
 * it reuses the rings (virtio 1.2, 2.4.2), after which the device no longer touches them.
 */
public final class VirtioTransportCore implements VirtioTransport {
    private static final System.Logger LOG = Log.logger(VirtioTransportCore.class);

    /** How a transport delivers the two kinds of notification to the driver (any thread). */
    public interface Interrupts {
        /** A used-buffer notification for queue {@code queue}; false if it could not be raised. */
        boolean usedBuffer(int queue);

        /** A configuration-change notification; false if it could not be raised. */
        boolean configChange();

        /** The irqfd that raises queue {@code queue}'s used-buffer interrupt when another process signals it, or null. */
        default EventFd usedBufferFd(int queue) {
            return null;
        }
    }

    /** The per-queue registers every transport has, each a 32-bit half where the field is 64 bits. */
    public enum QueueRegister {
        SIZE, READY, DESC_LOW, DESC_HIGH, DRIVER_LOW, DRIVER_HIGH, DEVICE_LOW, DEVICE_HIGH
    }

    private static final AtomicIntegerFieldUpdater<VirtioTransportCore> INTERRUPT_STATUS =
            AtomicIntegerFieldUpdater.newUpdater(VirtioTransportCore.class, "interruptStatus");
    private static final AtomicIntegerFieldUpdater<VirtioTransportCore> RESETS_IN_FLIGHT =
            AtomicIntegerFieldUpdater.newUpdater(VirtioTransportCore.class, "resetsInFlight");

    private final VirtioDevice device;
    private final GuestMemory memory;
    private final EventLoop loop;
    private final Interrupts interrupts;
    /** Where the transport is, for snapshot errors ("at 0xd0001000", "at PCI 00:01.0"). */
    private final String where;
    /*
     * Lines this device's driver causes, each kind bounded (10 at once, then one per 10 s, the
     * count of those left out in the next): a driver that resets and fails again in a loop cannot
     * flood the log.
     */
    private final RateLimitedLog driverFailedLog = new RateLimitedLog(LOG, 10, 10_000);
    private final RateLimitedLog featuresLog = new RateLimitedLog(LOG, 10, 10_000);
    private final RateLimitedLog activateLog = new RateLimitedLog(LOG, 10, 10_000);
    private final RateLimitedLog deviceErrorLog = new RateLimitedLog(LOG, 10, 10_000);
    /** The device's counter of interrupts the transport could not raise, or null. */
    private final DeviceCounter interruptFailures;
    private final DeviceMetrics metrics;
    private final int queueCount;
    private final long deviceFeatures;

    // Registers: written on vCPU threads under the monitor.
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
    /** {@link VirtioDevice#externalDataPlane()}: the notify eventfds are not on the loop. */
    private final boolean externalDataPlane;
    private boolean activated;
    private volatile boolean broken;
    private volatile long negotiated;
    private final Runnable activateTask = this::activateOnLoop;
    private final Runnable resetTask = this::resetOnLoop;

    /**
     * Creates the state for {@code device}, one eventfd per queue registered on {@code loop} (the
     * transport binds each to its notify address as a KVM ioeventfd: {@link #notifyFd}), and tells
     * the device it is attached.
     */
    public VirtioTransportCore(VirtioDevice device, GuestMemory memory, EventLoop loop, Interrupts interrupts, String where) {
        this.device = device;
        this.memory = memory;
        this.loop = loop;
        this.interrupts = interrupts;
        this.where = where;
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
        device.attach(loop);
        this.externalDataPlane = device.externalDataPlane();
        for (int i = 0; i < queueCount; i++) {
            EventFd fd = EventFd.nonBlocking();
            notifyFds[i] = fd;
            final int q = i;
            if (!externalDataPlane) { // else the kicks are the back-end's to read
                loop.register(fd.fd(), LibC.EPOLLIN, events -> onNotifyEvent(q));
            }
        }
    }

    public VirtioDevice device() {
        return device;
    }

    public int queueCount() {
        return queueCount;
    }

    /** The eventfd a kick of queue {@code q} signals: what the transport binds as an ioeventfd. */
    public EventFd notifyFd(int q) {
        return notifyFds[q];
    }

    /** Status as the driver reads it: DEVICE_NEEDS_RESET while a reset is still in flight. */
    public int readStatus() {
        return resetsInFlight == 0 ? status : status | Virtio.STATUS_DEVICE_NEEDS_RESET;
    }

    /** The status field as set, for tests and diagnostics. */
    public int status() {
        return status;
    }

    public int configGeneration() {
        return configGeneration;
    }

    /**
     * Interrupt status bits not yet acknowledged ({@link Virtio#INT_USED_RING}, {@link Virtio#INT_CONFIG}).
     * A device whose queues another process serves raises its used-buffer interrupts through the
     * irqfd, unseen here, so the register always says "used buffer" for it, with a pending
     * configuration change too: Linux's virtio-mmio handler reads the used rings only when that
     * bit is set, and the back-end's edge on the line may have merged with the change's (where
     * Firecracker reads a configuration change alone, that completion would wait for the next
     * interrupt).
     */
    public int interruptStatus() {
        int s = interruptStatus;
        return externalDataPlane ? s | Virtio.INT_USED_RING : s;
    }

    /** MMIO's InterruptACK. */
    public void acknowledgeInterrupt(int bits) {
        int cur;
        do {
            cur = interruptStatus;
        } while (!INTERRUPT_STATUS.compareAndSet(this, cur, cur & ~bits));
    }

    /** PCI's ISR read: the bits, cleared by the read (virtio 1.2, 4.1.4.5). */
    public int takeInterruptStatus() {
        return INTERRUPT_STATUS.getAndSet(this, 0);
    }

    /** A guest access the transport does not serve (size, offset, read-only register). */
    public void rejectedAccess() {
        metrics.cfgFails.inc();
    }

    // ---- vCPU side: registers --------------------------------------------------------------

    public synchronized int deviceFeatureSelect() {
        return deviceFeaturesSel;
    }

    public synchronized void selectDeviceFeatures(int v) {
        deviceFeaturesSel = v;
    }

    public synchronized int driverFeatureSelect() {
        return driverFeaturesSel;
    }

    public synchronized void selectDriverFeatures(int v) {
        driverFeaturesSel = v;
    }

    public synchronized int queueSelect() {
        return queueSel;
    }

    public synchronized void selectQueue(int v) {
        queueSel = v;
    }

    /** The 32 device feature bits {@code DeviceFeaturesSel} picks. */
    public synchronized long readDeviceFeatures() {
        switch (deviceFeaturesSel) {
            case 0: return deviceFeatures & 0xFFFF_FFFFL;
            case 1: return deviceFeatures >>> 32;
            default: return 0;
        }
    }

    /** The 32 driver feature bits {@code DriverFeaturesSel} picks. */
    public synchronized long readDriverFeatures() {
        switch (driverFeaturesSel) {
            case 0: return driverFeatures & 0xFFFF_FFFFL;
            case 1: return driverFeatures >>> 32;
            default: return 0;
        }
    }

    public synchronized void writeDriverFeatures(int v) {
        if (!inState(Virtio.STATUS_DRIVER, Virtio.STATUS_FEATURES_OK | Virtio.STATUS_FAILED)) {
            rejected("DriverFeatures", "only between DRIVER and FEATURES_OK");
        } else if (driverFeaturesSel == 0) {
            driverFeatures = (driverFeatures & 0xFFFF_FFFF_0000_0000L) | (v & 0xFFFF_FFFFL);
        } else if (driverFeaturesSel == 1) {
            driverFeatures = (driverFeatures & 0xFFFF_FFFFL) | ((long) v << 32);
        } else if (v != 0) {
            rejected("DriverFeatures", "bits beyond 63 do not exist");
        }
    }

    /** True when QueueSel names one of the device's queues. */
    public synchronized boolean queueSelectValid() {
        return queueSel >= 0 && queueSel < queueCount;
    }

    /** A queue register of the selected queue; 0 when QueueSel names no queue. */
    public synchronized long readQueue(QueueRegister r) {
        if (!queueSelectValid()) {
            return 0;
        }
        int q = queueSel;
        switch (r) {
            case SIZE: return queueNum[q];
            case READY: return queueReady[q] ? 1 : 0;
            case DESC_LOW: return queueDesc[q] & 0xFFFF_FFFFL;
            case DESC_HIGH: return queueDesc[q] >>> 32;
            case DRIVER_LOW: return queueDriver[q] & 0xFFFF_FFFFL;
            case DRIVER_HIGH: return queueDriver[q] >>> 32;
            case DEVICE_LOW: return queueDevice[q] & 0xFFFF_FFFFL;
            default: return queueDevice[q] >>> 32;
        }
    }

    /** Queues are set up after FEATURES_OK, before DRIVER_OK, and not once ready (4.2.3.2, 4.1.4.3.2). */
    public synchronized void writeQueue(QueueRegister r, int v) {
        if (!inState(Virtio.STATUS_FEATURES_OK, Virtio.STATUS_DRIVER_OK | Virtio.STATUS_FAILED) || !queueSelectValid()) {
            rejected(r.name(), "queues are set up after FEATURES_OK, before DRIVER_OK, on an existing queue select");
            return;
        }
        int q = queueSel;
        long low = v & 0xFFFF_FFFFL;
        long high = (long) v << 32;
        if (r == QueueRegister.READY) {
            queueReady[q] = v == 1;
            return;
        }
        if (queueReady[q]) {
            rejected(r.name(), "the queue is already ready");
            return;
        }
        switch (r) {
            case SIZE: queueNum[q] = v; return;
            case DESC_LOW: queueDesc[q] = (queueDesc[q] & 0xFFFF_FFFF_0000_0000L) | low; return;
            case DESC_HIGH: queueDesc[q] = (queueDesc[q] & 0xFFFF_FFFFL) | high; return;
            case DRIVER_LOW: queueDriver[q] = (queueDriver[q] & 0xFFFF_FFFF_0000_0000L) | low; return;
            case DRIVER_HIGH: queueDriver[q] = (queueDriver[q] & 0xFFFF_FFFFL) | high; return;
            case DEVICE_LOW: queueDevice[q] = (queueDevice[q] & 0xFFFF_FFFF_0000_0000L) | low; return;
            default: queueDevice[q] = (queueDevice[q] & 0xFFFF_FFFFL) | high;
        }
    }

    /** A notify the guest wrote where no ioeventfd caught it: the same kick, through the eventfd. */
    public void kick(int q) {
        if (q >= 0 && q < queueCount) {
            notifyFds[q].write(1);
        } else {
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

    private void raiseInterrupt(int bit, int queue) {
        int cur;
        do {
            cur = interruptStatus;
        } while (!INTERRUPT_STATUS.compareAndSet(this, cur, cur | bit));
        boolean raised = bit == Virtio.INT_CONFIG ? interrupts.configChange() : interrupts.usedBuffer(queue);
        if (!raised && interruptFailures != null) {
            interruptFailures.inc();
        }
    }

    /** 3.1.1 device initialisation: status bits are only ever added, in order, until a reset (0). */
    public void writeStatus(int v) {
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
                    raiseInterrupt(Virtio.INT_CONFIG, 0);
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
     * Device reset (status 0): registers now, queue state on the event loop; returns without
     * waiting for the loop. The status reads non-zero until the loop is done (see the class comment).
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
        ThreadConfinement.requireLoop(loop, "VirtioTransportCore.activateOnLoop");
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
        startDevice("activation failed: ");
    }

    /** Activates the device and serves what the driver made available before it could. */
    private void startDevice(String failure) {
        try {
            device.activate(this);
        } catch (RuntimeException e) {
            metrics.activateFails.inc();
            deviceError(VirtqueueException.Reason.ACTIVATION, failure + e.getMessage());
            return;
        }
        if (!broken) {
            for (int q = 0; q < queueCount; q++) {
                if (queues[q].ready()) {
                    serveQueue(q);
                }
            }
        }
    }

    private void resetOnLoop() {
        ThreadConfinement.requireLoop(loop, "VirtioTransportCore.resetOnLoop");
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
        RESETS_IN_FLIGHT.decrementAndGet(this); // last: the status reads 0 only once all of the above is done
    }

    private void onNotifyEvent(int q) {
        ThreadConfinement.requireLoop(loop, "VirtioTransportCore.onNotifyEvent");
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
    public EventFd queueNotifyFd(int index) {
        return notifyFds[index];
    }

    @Override
    public EventFd queueInterruptFd(int index) {
        return interrupts.usedBufferFd(index);
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
        ThreadConfinement.requireLoop(loop, "VirtioTransportCore.notifyUsed");
        if (queue.needsInterrupt()) {
            raiseInterrupt(Virtio.INT_USED_RING, queue.index());
        }
    }

    @Override
    public void configChanged() {
        ThreadConfinement.requireLoop(loop, "VirtioTransportCore.configChanged"); // configGeneration++ is not atomic
        configGeneration++;
        if ((status & Virtio.STATUS_DRIVER_OK) != 0) {
            raiseInterrupt(Virtio.INT_CONFIG, 0);
        }
    }

    @Override
    public void deviceError(VirtqueueException.Reason reason, String detail) {
        ThreadConfinement.requireLoop(loop, "VirtioTransportCore.deviceError");
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
        raiseInterrupt(Virtio.INT_CONFIG, 0);
    }

    @Override
    public boolean broken() {
        return broken;
    }

    // ---- snapshots (event-loop thread, VM paused) -----------------------------------------

    /**
     * Registers, negotiated features, activation state and each queue's ring positions, then the
     * device's own state. Call on the event-loop thread while the vCPUs are paused, so neither a
     * register write nor a queue pass runs meanwhile.
     */
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
     * Puts freshly created state (same device type, same queues) into the saved state and, if the
     * driver had activated the device, re-arms its queues at the saved ring positions, activates
     * the device and serves whatever the driver made available meanwhile. Event-loop thread.
     */
    public void restoreState(StateReader in) {
        requireLoopThread("restoreState");
        int type = in.i32("virtio device type");
        if (type != device.deviceType()) {
            throw in.invalid("virtio device type", "is " + type + " but the device " + where
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
        startDevice("re-activation after snapshot load failed: ");
    }

    private void requireLoopThread(String what) {
        if (!loop.inLoop()) {
            throw new IllegalStateException(what + " must run on the event-loop thread (it owns the virtqueues)");
        }
    }

    /** Unregisters and closes the notify eventfds and closes the device. */
    public void close() {
        for (EventFd fd : notifyFds) {
            if (fd != null) {
                if (!externalDataPlane) {
                    loop.unregister(fd.fd());
                }
                fd.close();
            }
        }
        device.close();
    }
}
