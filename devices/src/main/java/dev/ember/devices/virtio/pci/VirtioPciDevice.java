package dev.ember.devices.virtio.pci;

import static dev.ember.devices.virtio.pci.VirtioPciLayout.*;

import dev.ember.bus.BusDevice;
import dev.ember.devices.virtio.VirtioDevice;
import dev.ember.devices.virtio.VirtioTransportCore;
import dev.ember.devices.virtio.VirtioTransportCore.QueueRegister;
import dev.ember.eventloop.EventLoop;
import dev.ember.log.Log;
import dev.ember.log.RateLimitedLog;
import dev.ember.memory.GuestMemory;
import dev.ember.pci.MsiVectors;
import dev.ember.pci.MsixCapability;
import dev.ember.pci.PciBar;
import dev.ember.pci.PciConfigSpace;
import dev.ember.pci.PciException;
import dev.ember.pci.PciFunction;
import dev.ember.snapshot.Snapshottable;
import dev.ember.snapshot.StateReader;
import dev.ember.snapshot.StateWriter;
import dev.ember.vm.IoEventRegistrar;
import java.lang.System.Logger.Level;

/**
 * The virtio-pci transport (virtio 1.2, 4.1; modern devices only): a PCI function whose one
 * 64-bit memory BAR holds the common configuration, ISR, device configuration and notify
 * structures the vendor capabilities point at, and the MSI-X table and PBA. Interrupts are MSI-X
 * only, as Firecracker's: no INTx pin. The state behind the registers is a
 * {@link VirtioTransportCore}, the same as virtio-mmio's; this class is the register map, the
 * MSI-X vector of each queue and of configuration changes, and the notify ioeventfds, which
 * follow the BAR wherever the guest maps it.
 *
 * <p>Threading: BAR accesses arrive on vCPU threads (the root complex calls the configuration
 * callbacks under its lock, on the vCPU that wrote); {@link VirtioTransportCore.Interrupts} is
 * called from the event loop or, for a failed activation, a vCPU. Nothing here allocates on an
 * access.
 */
public final class VirtioPciDevice implements PciFunction, Snapshottable, AutoCloseable {
    private static final System.Logger LOG = Log.logger(VirtioPciDevice.class);
    private static final int NOTIFY_WRITE_LENGTH = 2; // the driver writes the 16-bit queue index (4.1.5.2)

    private final VirtioTransportCore core;
    private final PciConfigSpace config;
    private final MsixCapability msix;
    private final IoEventRegistrar ioEvents;
    private final String name;
    private final RateLimitedLog ioEventLog = new RateLimitedLog(LOG, 5, 60_000);
    private final int pciCfgCap;
    /** MSI-X vector of each queue's used-buffer notifications and of configuration changes, or NO_VECTOR. */
    private final int[] queueVector;
    private volatile int configVector = NO_VECTOR;
    /** Where the BAR decodes now (its notify ioeventfds are there), or -1. */
    private long barAddress = -1;
    private final BusDevice bar = BusDevice.of(this::readBar, this::writeBar);

    /**
     * The function for {@code device}; {@code vectors} (one per queue plus one for configuration
     * changes) delivers its MSI-X messages, {@code ioEvents} binds the queues' notify registers
     * when the BAR is mapped. Attach it with {@code PciRootComplex.attach}.
     */
    public VirtioPciDevice(VirtioDevice device, GuestMemory memory, EventLoop loop, IoEventRegistrar ioEvents, MsiVectors vectors) {
        int type = device.deviceType();
        int queues = device.queueCount();
        if (queues > MAX_QUEUES || vectors.count() < queues + 1) {
            throw new PciException(PciException.Reason.INVALID_LAYOUT, device.name() + ": " + queues + " queues need " + (queues + 1)
                    + " MSI-X vectors (have " + vectors.count() + ") and at most " + MAX_QUEUES + " queues");
        }
        this.name = "virtio-pci " + device.name();
        this.ioEvents = ioEvents;
        this.queueVector = new int[queues];
        java.util.Arrays.fill(queueVector, NO_VECTOR);
        this.config = new PciConfigSpace(VENDOR_ID, DEVICE_ID_BASE + type, classCode(type), REVISION).subsystem(VENDOR_ID, SUBSYSTEM_ID);
        config.setBar(PciBar.memory64(BAR_INDEX, BAR_SIZE));
        addCap(CAP_COMMON_CFG, CAP_SIZE, COMMON_CFG_OFFSET, COMMON_CFG_LENGTH);
        int notify = addCap(CAP_NOTIFY_CFG, NOTIFY_CAP_SIZE, NOTIFY_OFFSET, NOTIFY_LENGTH);
        config.set(notify + NOTIFY_CAP_MULTIPLIER, 4, NOTIFY_OFF_MULTIPLIER);
        addCap(CAP_ISR_CFG, CAP_SIZE, ISR_OFFSET, ISR_LENGTH);
        addCap(CAP_DEVICE_CFG, CAP_SIZE, DEVICE_CFG_OFFSET, DEVICE_CFG_LENGTH);
        this.pciCfgCap = config.addCapability(PciConfigSpace.CAP_ID_VENDOR, CFG_CAP_SIZE, this::pciCfgWritten);
        config.set(pciCfgCap + CAP_LEN, 1, CFG_CAP_SIZE);
        config.set(pciCfgCap + CAP_CFG_TYPE, 1, CAP_PCI_CFG);
        config.setWriteMask(pciCfgCap + CAP_BAR, 1, 0xff);
        config.setWriteMask(pciCfgCap + CAP_OFFSET, 4, -1);
        config.setWriteMask(pciCfgCap + CAP_LENGTH, 4, -1);
        config.setWriteMask(pciCfgCap + CFG_CAP_DATA, 4, -1);
        this.msix = new MsixCapability(config, vectors, BAR_INDEX, MSIX_TABLE_OFFSET, BAR_INDEX, MSIX_PBA_OFFSET);
        this.core = new VirtioTransportCore(device, memory, loop, new VirtioTransportCore.Interrupts() {
            @Override public boolean usedBuffer(int queue) { return signal(queueVector[queue]); }
            @Override public boolean configChange() { return signal(configVector); }
        }, "virtio-pci " + device.name());
    }

    private int addCap(int cfgType, int length, int offset, int size) {
        int at = config.addCapability(PciConfigSpace.CAP_ID_VENDOR, length, null);
        config.set(at + CAP_LEN, 1, length);
        config.set(at + CAP_CFG_TYPE, 1, cfgType);
        config.set(at + CAP_BAR, 1, BAR_INDEX);
        config.set(at + CAP_OFFSET, 4, offset);
        config.set(at + CAP_LENGTH, 4, size);
        return at;
    }

    /** A driver that chose no vector for a queue wants no interrupt for it: not a failure. */
    private boolean signal(int vector) {
        return vector == NO_VECTOR || msix.signal(vector);
    }

    public VirtioTransportCore core() {
        return core;
    }

    public VirtioDevice device() {
        return core.device();
    }

    public MsixCapability msix() {
        return msix;
    }

    @Override
    public PciConfigSpace configSpace() {
        return config;
    }

    @Override
    public BusDevice barHandler(int index) {
        return index == BAR_INDEX ? bar : null;
    }

    @Override
    public String name() {
        return name;
    }

    // ---- the BAR moving: the notify ioeventfds move with it -------------------------------

    @Override
    public synchronized void barMapped(int index, long address) {
        if (index != BAR_INDEX) {
            return;
        }
        barAddress = address;
        for (int q = 0; q < core.queueCount(); q++) {
            try {
                ioEvents.registerIoEvent(notifyAddress(address, q), NOTIFY_WRITE_LENGTH, -1, core.notifyFd(q));
            } catch (RuntimeException e) {
                // The slow path (a notify write reaching writeBar) still kicks the queue.
                ioEventLog.log(Level.WARNING, () -> name + ": no ioeventfd for a notify register: " + e.getMessage());
            }
        }
    }

    @Override
    public synchronized void barUnmapped(int index, long address) {
        if (index != BAR_INDEX || barAddress != address) {
            return;
        }
        barAddress = -1;
        for (int q = 0; q < core.queueCount(); q++) {
            try {
                ioEvents.unregisterIoEvent(notifyAddress(address, q), NOTIFY_WRITE_LENGTH, -1, core.notifyFd(q));
            } catch (RuntimeException e) {
                ioEventLog.log(Level.WARNING, () -> name + ": could not remove a notify ioeventfd: " + e.getMessage());
            }
        }
    }

    private static long notifyAddress(long bar, int queue) {
        return bar + NOTIFY_OFFSET + (long) queue * NOTIFY_OFF_MULTIPLIER;
    }

    // ---- BAR accesses (vCPU threads) -------------------------------------------------------

    private long readBar(long offset, int size) {
        if (offset >= COMMON_CFG_OFFSET && offset < COMMON_CFG_OFFSET + COMMON_CFG_LENGTH) {
            return readCommon((int) offset - COMMON_CFG_OFFSET, size);
        }
        if (offset == ISR_OFFSET && size == 1) {
            return core.takeInterruptStatus(); // read-to-clear (4.1.4.5)
        }
        if (offset >= DEVICE_CFG_OFFSET && offset < DEVICE_CFG_OFFSET + DEVICE_CFG_LENGTH) {
            return core.device().readConfig((int) offset - DEVICE_CFG_OFFSET, size);
        }
        if (offset >= MSIX_TABLE_OFFSET && offset < MSIX_TABLE_OFFSET + msix.tableSize()) {
            return msix.tableHandler().read(offset - MSIX_TABLE_OFFSET, size);
        }
        if (offset >= MSIX_PBA_OFFSET && offset < MSIX_PBA_OFFSET + msix.pbaSize()) {
            return msix.pbaHandler().read(offset - MSIX_PBA_OFFSET, size);
        }
        core.rejectedAccess(); // notify registers read as 0, as does everything unused
        return 0;
    }

    private void writeBar(long offset, int size, long value) {
        if (offset >= COMMON_CFG_OFFSET && offset < COMMON_CFG_OFFSET + COMMON_CFG_LENGTH) {
            writeCommon((int) offset - COMMON_CFG_OFFSET, size, value);
        } else if (offset >= NOTIFY_OFFSET && offset < NOTIFY_OFFSET + NOTIFY_LENGTH && (offset & (NOTIFY_OFF_MULTIPLIER - 1)) == 0) {
            core.kick((int) (offset - NOTIFY_OFFSET) / NOTIFY_OFF_MULTIPLIER); // a notify no ioeventfd caught
        } else if (offset >= DEVICE_CFG_OFFSET && offset < DEVICE_CFG_OFFSET + DEVICE_CFG_LENGTH) {
            core.device().writeConfig((int) offset - DEVICE_CFG_OFFSET, size, value);
        } else if (offset >= MSIX_TABLE_OFFSET && offset < MSIX_TABLE_OFFSET + msix.tableSize()) {
            msix.tableHandler().write(offset - MSIX_TABLE_OFFSET, size, value);
        } else {
            core.rejectedAccess(); // ISR and PBA are read-only
        }
    }

    /** 4.1.4.3: each field by its natural width; 64-bit addresses as two 32-bit halves (or whole). */
    private long readCommon(int offset, int size) {
        switch (offset << 4 | size) {
            case DEVICE_FEATURE_SELECT << 4 | 4: return core.deviceFeatureSelect() & 0xffff_ffffL;
            case DEVICE_FEATURE << 4 | 4: return core.readDeviceFeatures();
            case DRIVER_FEATURE_SELECT << 4 | 4: return core.driverFeatureSelect() & 0xffff_ffffL;
            case DRIVER_FEATURE << 4 | 4: return core.readDriverFeatures();
            case MSIX_CONFIG << 4 | 2: return configVector;
            case NUM_QUEUES << 4 | 2: return core.queueCount();
            case DEVICE_STATUS << 4 | 1: return core.readStatus() & 0xff;
            case CONFIG_GENERATION << 4 | 1: return core.configGeneration() & 0xff;
            case QUEUE_SELECT << 4 | 2: return core.queueSelect() & 0xffff;
            case QUEUE_SIZE << 4 | 2: return core.readQueue(QueueRegister.SIZE);
            case QUEUE_MSIX_VECTOR << 4 | 2: return selectedQueueVector();
            case QUEUE_ENABLE << 4 | 2: return core.readQueue(QueueRegister.READY);
            case QUEUE_NOTIFY_OFF << 4 | 2: return core.queueSelectValid() ? core.queueSelect() : 0;
            case QUEUE_DESC_LO << 4 | 4: return core.readQueue(QueueRegister.DESC_LOW);
            case QUEUE_DESC_HI << 4 | 4: return core.readQueue(QueueRegister.DESC_HIGH);
            case QUEUE_AVAIL_LO << 4 | 4: return core.readQueue(QueueRegister.DRIVER_LOW);
            case QUEUE_AVAIL_HI << 4 | 4: return core.readQueue(QueueRegister.DRIVER_HIGH);
            case QUEUE_USED_LO << 4 | 4: return core.readQueue(QueueRegister.DEVICE_LOW);
            case QUEUE_USED_HI << 4 | 4: return core.readQueue(QueueRegister.DEVICE_HIGH);
            case QUEUE_DESC_LO << 4 | 8: return core.readQueue(QueueRegister.DESC_LOW) | core.readQueue(QueueRegister.DESC_HIGH) << 32;
            case QUEUE_AVAIL_LO << 4 | 8: return core.readQueue(QueueRegister.DRIVER_LOW) | core.readQueue(QueueRegister.DRIVER_HIGH) << 32;
            case QUEUE_USED_LO << 4 | 8: return core.readQueue(QueueRegister.DEVICE_LOW) | core.readQueue(QueueRegister.DEVICE_HIGH) << 32;
            default:
                core.rejectedAccess();
                return 0;
        }
    }

    private void writeCommon(int offset, int size, long value) {
        int v = (int) value;
        switch (offset << 4 | size) {
            case DEVICE_FEATURE_SELECT << 4 | 4: core.selectDeviceFeatures(v); return;
            case DRIVER_FEATURE_SELECT << 4 | 4: core.selectDriverFeatures(v); return;
            case DRIVER_FEATURE << 4 | 4: core.writeDriverFeatures(v); return;
            case MSIX_CONFIG << 4 | 2: configVector = vectorOrNone(v & 0xffff); return;
            case DEVICE_STATUS << 4 | 1: writeStatus(v & 0xff); return;
            case QUEUE_SELECT << 4 | 2: core.selectQueue(v & 0xffff); return;
            case QUEUE_SIZE << 4 | 2: core.writeQueue(QueueRegister.SIZE, v & 0xffff); return;
            case QUEUE_MSIX_VECTOR << 4 | 2: setSelectedQueueVector(v & 0xffff); return;
            case QUEUE_ENABLE << 4 | 2: core.writeQueue(QueueRegister.READY, v & 0xffff); return;
            case QUEUE_DESC_LO << 4 | 4: core.writeQueue(QueueRegister.DESC_LOW, v); return;
            case QUEUE_DESC_HI << 4 | 4: core.writeQueue(QueueRegister.DESC_HIGH, v); return;
            case QUEUE_AVAIL_LO << 4 | 4: core.writeQueue(QueueRegister.DRIVER_LOW, v); return;
            case QUEUE_AVAIL_HI << 4 | 4: core.writeQueue(QueueRegister.DRIVER_HIGH, v); return;
            case QUEUE_USED_LO << 4 | 4: core.writeQueue(QueueRegister.DEVICE_LOW, v); return;
            case QUEUE_USED_HI << 4 | 4: core.writeQueue(QueueRegister.DEVICE_HIGH, v); return;
            case QUEUE_DESC_LO << 4 | 8: writeAddress(QueueRegister.DESC_LOW, QueueRegister.DESC_HIGH, value); return;
            case QUEUE_AVAIL_LO << 4 | 8: writeAddress(QueueRegister.DRIVER_LOW, QueueRegister.DRIVER_HIGH, value); return;
            case QUEUE_USED_LO << 4 | 8: writeAddress(QueueRegister.DEVICE_LOW, QueueRegister.DEVICE_HIGH, value); return;
            default: core.rejectedAccess(); // read-only fields, odd widths
        }
    }

    private void writeAddress(QueueRegister low, QueueRegister high, long value) {
        core.writeQueue(low, (int) value);
        core.writeQueue(high, (int) (value >>> 32));
    }

    private void writeStatus(int v) {
        core.writeStatus(v);
        if (v == 0) {
            resetVectors();
        }
    }

    private synchronized void resetVectors() {
        configVector = NO_VECTOR;
        java.util.Arrays.fill(queueVector, NO_VECTOR);
    }

    /** A vector the table does not have reads back as NO_VECTOR: how the driver learns it was refused (4.1.5.1.2). */
    private int vectorOrNone(int v) {
        if (v != NO_VECTOR && v >= msix.vectorCount()) {
            core.rejectedAccess();
            return NO_VECTOR;
        }
        return v;
    }

    private synchronized long selectedQueueVector() {
        return core.queueSelectValid() ? queueVector[core.queueSelect()] : NO_VECTOR;
    }

    private synchronized void setSelectedQueueVector(int v) {
        if (core.queueSelectValid()) {
            queueVector[core.queueSelect()] = vectorOrNone(v);
        } else {
            core.rejectedAccess();
        }
    }

    // ---- VIRTIO_PCI_CAP_PCI_CFG: BAR access through configuration space --------------------

    /** 4.1.4.9: a write of pci_cfg_data writes {@code length} bytes at {@code offset} of the BAR. */
    private void pciCfgWritten(int offset, int size) {
        int dataAt = pciCfgCap + CFG_CAP_DATA;
        int length = pciCfgWindowLength();
        if (length != 0 && offset + size > dataAt && offset < dataAt + 4) {
            writeBar(config.get(pciCfgCap + CAP_OFFSET, 4), length, config.get(dataAt, length));
        }
    }

    /** A read of pci_cfg_data reads {@code length} bytes at {@code offset} of the BAR, then, as any read. */
    @Override
    public int configRead(int offset, int size, int value) {
        int dataAt = pciCfgCap + CFG_CAP_DATA;
        int length = pciCfgWindowLength();
        if (length == 0 || offset < dataAt || offset + size > dataAt + 4) {
            return value;
        }
        long data = readBar(config.get(pciCfgCap + CAP_OFFSET, 4), length);
        return (int) (data >>> (8 * (offset - dataAt)));
    }

    /** The window's access length when bar/offset/length name a valid access into BAR 0, else 0. */
    private int pciCfgWindowLength() {
        int bar = config.get(pciCfgCap + CAP_BAR, 1);
        int at = config.get(pciCfgCap + CAP_OFFSET, 4);
        int length = config.get(pciCfgCap + CAP_LENGTH, 4);
        boolean valid = bar == BAR_INDEX && (length == 1 || length == 2 || length == 4) && at >= 0 && at <= BAR_SIZE - length
                && (at & (length - 1)) == 0;
        return valid ? length : 0;
    }

    // ---- snapshots (event-loop thread, VM paused) -----------------------------------------

    /**
     * The configuration space (BAR address, command, MSI-X control, the PCI_CFG window), the
     * MSI-X table and pending bits, the vectors the driver chose, then the virtio state.
     */
    @Override
    public void saveState(StateWriter out) {
        long[] pending = msix.savePending();
        out.bytes(config.saveBytes()).ints(msix.saveTable()).longs(pending);
        synchronized (this) {
            out.i32(configVector).ints(queueVector);
        }
        core.saveState(out);
    }

    /**
     * Puts a freshly attached function into the saved state. The root complex must then map the
     * BAR where the restored configuration space says ({@code PciRootComplex.restored()}), which
     * also binds the notify ioeventfds there.
     */
    @Override
    public void restoreState(StateReader in) {
        byte[] header = in.bytes("virtio-pci configuration space", PciConfigSpace.SIZE);
        int[] table = in.ints("virtio-pci MSI-X table", msix.vectorCount() * 4);
        long[] pending = in.longs("virtio-pci MSI-X pending bits", msix.savePending().length);
        int cfg = in.i32("virtio-pci msix_config", 0, NO_VECTOR);
        int[] vectors = in.ints("virtio-pci queue_msix_vector", queueVector.length);
        config.restoreBytes(header);
        msix.restore(table, pending);
        synchronized (this) {
            configVector = cfg;
            for (int q = 0; q < vectors.length; q++) {
                queueVector[q] = vectors[q] & 0xffff;
            }
        }
        core.restoreState(in);
    }

    @Override
    public void close() {
        core.close();
    }
}
