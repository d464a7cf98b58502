package dev.ember.devices.virtio;

import static dev.ember.devices.virtio.pci.VirtioPciLayout.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.bus.Bus;
import dev.ember.devices.virtio.pci.VirtioPciDevice;
import dev.ember.eventloop.EventFd;
import dev.ember.eventloop.EventLoop;
import dev.ember.memory.GuestMemory;
import dev.ember.pci.MsiVectors;
import dev.ember.pci.MsixCapability;
import dev.ember.pci.PciConfigSpace;
import dev.ember.pci.PciLayout;
import dev.ember.pci.PciRootComplex;
import dev.ember.pci.PciWindow;
import dev.ember.vm.IoEventRegistrar;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * A minimal virtio-pci driver, as a guest's: it finds the function through ECAM, walks its
 * capability list for the virtio structures, enables memory decoding, programs and enables
 * MSI-X, and drives the common configuration. The MSI sink counts each vector's messages and
 * keeps the routes it was given; the ioeventfd registrar records what is bound where, binding
 * nothing, so kicks take the notify register's user-space path.
 */
final class PciTestDriver implements AutoCloseable {
    static final long MMIO64_BASE = 1L << 36;
    static final long MSI_ADDRESS = 0xfee0_0000L;

    final GuestMemory mem;
    final EventLoop loop;
    final Bus bus = new Bus("mmio");
    final PciRootComplex root;
    final VirtioPciDevice function;
    final int slot;
    final AtomicIntegerArray signals;
    final long[] routedAddress;
    final int[] routedData;
    /** "+addr" / "-addr" per ioeventfd bound or removed, in order. */
    final List<String> ioEvents = new ArrayList<>();
    int common;
    int notify;
    int isr;
    int device;
    int pciCfg;
    int notifyMultiplier;
    int msixCap;
    long bar;

    PciTestDriver(GuestMemory mem, EventLoop loop, VirtioDevice dev) {
        this.mem = mem;
        this.loop = loop;
        int vectors = dev.queueCount() + 1;
        this.signals = new AtomicIntegerArray(vectors);
        this.routedAddress = new long[vectors];
        this.routedData = new int[vectors];
        MsiVectors sink = new MsiVectors() {
            @Override public int count() { return vectors; }
            @Override public void route(int v, long address, int data) { routedAddress[v] = address; routedData[v] = data; }
            @Override public boolean signal(int v) { signals.incrementAndGet(v); return true; }
        };
        IoEventRegistrar registrar = new IoEventRegistrar() {
            @Override public void registerIoEvent(long a, int len, long dm, EventFd fd) { ioEvents.add("+" + Long.toHexString(a) + "/" + len); }
            @Override public void unregisterIoEvent(long a, int len, long dm, EventFd fd) { ioEvents.add("-" + Long.toHexString(a) + "/" + len); }
        };
        this.root = new PciRootComplex(bus, new PciWindow("32-bit", PciLayout.MMIO32_BASE, PciLayout.MMIO32_SIZE),
                new PciWindow("64-bit", MMIO64_BASE, PciLayout.MMIO64_SIZE));
        this.function = new VirtioPciDevice(dev, mem, loop, registrar, sink);
        this.slot = root.attach(function);
    }

    // ---- configuration space through ECAM ---------------------------------------------------

    long ecam(int register) {
        return PciLayout.ECAM_BASE + ((long) slot << 15) + register;
    }

    int cfg(int register, int size) {
        return (int) bus.read(ecam(register), size);
    }

    void cfgWrite(int register, int size, int value) {
        bus.write(ecam(register), size, value & 0xffff_ffffL);
    }

    /** Walks the capability list, notes each virtio structure's offset (all in BAR 0) and MSI-X's; reads the BAR. */
    void probe() {
        assertTrue((cfg(PciConfigSpace.STATUS, 2) & PciConfigSpace.STATUS_CAPABILITIES) != 0, "capability list");
        int seen = 0;
        for (int cap = cfg(PciConfigSpace.CAPABILITIES_POINTER, 1); cap != 0; cap = cfg(cap + 1, 1)) {
            assertTrue(++seen < 48, "the capability list ends");
            int id = cfg(cap, 1);
            if (id == PciConfigSpace.CAP_ID_MSIX) {
                msixCap = cap;
                continue;
            }
            assertEquals(PciConfigSpace.CAP_ID_VENDOR, id);
            int type = cfg(cap + CAP_CFG_TYPE, 1);
            int offset = cfg(cap + CAP_OFFSET, 4);
            if (type != CAP_PCI_CFG) {
                assertEquals(BAR_INDEX, cfg(cap + CAP_BAR, 1), "virtio structures live in BAR 0");
            }
            switch (type) {
                case CAP_COMMON_CFG: common = offset; break;
                case CAP_NOTIFY_CFG: notify = offset; notifyMultiplier = cfg(cap + NOTIFY_CAP_MULTIPLIER, 4); break;
                case CAP_ISR_CFG: isr = offset; break;
                case CAP_DEVICE_CFG: device = offset; break;
                case CAP_PCI_CFG: pciCfg = cap; break;
                default: throw new AssertionError("unknown cfg_type " + type);
            }
        }
        bar = (cfg(PciConfigSpace.BAR0, 4) & 0xffff_fff0L) | (long) cfg(PciConfigSpace.BAR0 + 4, 4) << 32;
    }

    void enableMemory() {
        cfgWrite(PciConfigSpace.COMMAND, 2, PciConfigSpace.COMMAND_MEMORY_SPACE | PciConfigSpace.COMMAND_BUS_MASTER);
    }

    /** Programs every table entry (data = 0x30 + vector), unmasks them and enables MSI-X. */
    void enableMsix() {
        int table = cfg(msixCap + 4, 4);
        assertEquals(BAR_INDEX, table & 7);
        long entries = bar + (table & ~7);
        int n = (cfg(msixCap + 2, 2) & 0x7ff) + 1;
        for (int v = 0; v < n; v++) {
            bus.write(entries + 16L * v, 4, MSI_ADDRESS);
            bus.write(entries + 16L * v + 4, 4, 0);
            bus.write(entries + 16L * v + 8, 4, 0x30 + v);
            bus.write(entries + 16L * v + 12, 4, 0);
        }
        cfgWrite(msixCap + 2, 2, MsixCapability.CONTROL_ENABLE);
    }

    // ---- the BAR's structures ---------------------------------------------------------------

    long c(int field, int size) {
        return bus.read(bar + common + field, size);
    }

    void cw(int field, int size, long value) {
        bus.write(bar + common + field, size, value);
    }

    int status() {
        return (int) c(DEVICE_STATUS, 1);
    }

    void reset() {
        cw(DEVICE_STATUS, 1, 0);
        TestDriver.await(() -> status() == 0, "the device reset to complete");
    }

    /** Reset, ACKNOWLEDGE, DRIVER, every offered feature, FEATURES_OK. */
    void negotiate() {
        reset();
        cw(DEVICE_STATUS, 1, Virtio.STATUS_ACKNOWLEDGE);
        cw(DEVICE_STATUS, 1, Virtio.STATUS_ACKNOWLEDGE | Virtio.STATUS_DRIVER);
        for (int sel = 0; sel < 2; sel++) {
            cw(DEVICE_FEATURE_SELECT, 4, sel);
            long f = c(DEVICE_FEATURE, 4);
            cw(DRIVER_FEATURE_SELECT, 4, sel);
            cw(DRIVER_FEATURE, 4, f);
        }
        cw(DEVICE_STATUS, 1, Virtio.STATUS_ACKNOWLEDGE | Virtio.STATUS_DRIVER | Virtio.STATUS_FEATURES_OK);
        assertTrue((status() & Virtio.STATUS_FEATURES_OK) != 0, "FEATURES_OK kept");
    }

    /** Queue {@code q} on {@code ring} with MSI-X vector {@code vector}, as Linux's vp_modern_setup_vq does. */
    void setupQueue(int q, TestRing ring, int vector) {
        cw(QUEUE_SELECT, 2, q);
        cw(QUEUE_SIZE, 2, ring.size);
        cw(QUEUE_DESC_LO, 4, ring.desc & 0xffff_ffffL);
        cw(QUEUE_DESC_HI, 4, ring.desc >>> 32);
        cw(QUEUE_AVAIL_LO, 4, ring.avail & 0xffff_ffffL);
        cw(QUEUE_AVAIL_HI, 4, ring.avail >>> 32);
        cw(QUEUE_USED_LO, 4, ring.used & 0xffff_ffffL);
        cw(QUEUE_USED_HI, 4, ring.used >>> 32);
        cw(QUEUE_MSIX_VECTOR, 2, vector);
        assertEquals(vector, c(QUEUE_MSIX_VECTOR, 2), "the vector was accepted");
        cw(QUEUE_ENABLE, 2, 1);
    }

    void driverOk() {
        cw(DEVICE_STATUS, 1, status() | Virtio.STATUS_DRIVER_OK);
    }

    /** Writes the queue index at its notify address (cap offset + queue_notify_off * multiplier). */
    void kick(int q) {
        cw(QUEUE_SELECT, 2, q);
        long off = c(QUEUE_NOTIFY_OFF, 2);
        bus.write(bar + notify + off * notifyMultiplier, 2, q);
    }

    /** Everything posted to the event loop before this has run. */
    void sync() {
        TestDriver.onLoop(loop, () -> null);
    }

    @Override
    public void close() {
        java.util.concurrent.CountDownLatch l = new java.util.concurrent.CountDownLatch(1);
        loop.execute(l::countDown);
        try {
            l.await(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        function.close();
    }
}
