package dev.ember.pci;

import dev.ember.bus.Bus;
import dev.ember.bus.BusConflictException;
import dev.ember.bus.BusDevice;
import dev.ember.log.Log;
import dev.ember.log.RateLimitedLog;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;

/**
 * PCI segment 0, bus 0: a host bridge at 00:00.0 and up to 31 more functions (function 0 of
 * slots 1..31), reached through an ECAM window on the MMIO bus (an empty slot reads all-ones).
 *
 * <p>{@link #attach} places a function's BARs in the 32-bit or 64-bit window, as firmware would,
 * and the guest finds them there; the BAR's handler goes on the MMIO bus whenever the function's
 * Memory Space Enable is set and comes off when it is cleared or the guest moves the BAR (a move
 * onto another device's range is refused and logged: the BAR then decodes nowhere). All
 * configuration accesses are serialised by one lock; they happen at probe time, not on I/O paths.
 */
public final class PciRootComplex {
    private static final Logger LOG = Log.logger(PciRootComplex.class);
    private static final RateLimitedLog BAR_CONFLICT = new RateLimitedLog(LOG, 5, 60_000);
    public static final int SLOTS = 32;
    /** Red Hat, Inc.'s "QEMU PCIe Host bridge" IDs: a host bridge no Linux quirk matches. */
    static final int HOST_BRIDGE_VENDOR = 0x1b36, HOST_BRIDGE_DEVICE = 0x0008, CLASS_HOST_BRIDGE = 0x060000;
    private static final long UNMAPPED = -1;

    private final Bus mmioBus;
    private final long ecamBase;
    private final PciWindow mmio32;
    private final PciWindow mmio64;
    private final PciFunction[] slots = new PciFunction[SLOTS];
    private final BusDevice[][] handlers = new BusDevice[SLOTS][];
    /** Where each BAR of each slot decodes now, or UNMAPPED. */
    private final long[][] mappedAt = new long[SLOTS][];
    private final Object configLock = new Object();
    private final BusDevice ecam = BusDevice.of(this::readConfig, this::writeConfig);

    /**
     * Bus 0 with its ECAM at {@link PciLayout#ECAM_BASE} on {@code mmioBus}, BARs in
     * {@code mmio32} and {@code mmio64}, and the host bridge at slot 0.
     */
    public PciRootComplex(Bus mmioBus, PciWindow mmio32, PciWindow mmio64) {
        this.mmioBus = mmioBus;
        this.ecamBase = PciLayout.ECAM_BASE;
        this.mmio32 = mmio32;
        this.mmio64 = mmio64;
        mmioBus.register(ecamBase, PciLayout.ECAM_SIZE, ecam);
        attach(new HostBridge());
    }

    /** The firmware tables' view of this bus (MCFG, the host bridge's _CRS, e820). */
    public PciResources resources() {
        return new PciResources(ecamBase, PciLayout.ECAM_SIZE, 0, 0, mmio32.base(), mmio32.size(), mmio64.base(), mmio64.size());
    }

    /**
     * Puts {@code function} in the lowest free slot and gives each of its BARs an address in
     * its window (64-bit BARs above 4 GiB); the BARs decode once the guest sets Memory Space Enable.
     *
     * @return the slot (device number on bus 0)
     * @throws PciException no free slot, or a window is full
     */
    public int attach(PciFunction function) {
        synchronized (configLock) {
            int slot = 0;
            while (slot < SLOTS && slots[slot] != null) {
                slot++;
            }
            if (slot == SLOTS) {
                throw new PciException(PciException.Reason.NO_FREE_SLOT, "PCI bus 0 has no free slot for " + function.name());
            }
            PciConfigSpace cs = function.configSpace();
            BusDevice[] h = new BusDevice[6];
            long[] at = new long[6];
            for (int i = 0; i < 6; i++) {
                at[i] = UNMAPPED;
                PciBar bar = cs.bar(i);
                if (bar != null) {
                    h[i] = function.barHandler(i);
                    if (h[i] == null) {
                        throw new PciException(PciException.Reason.INVALID_LAYOUT, function.name() + " has no handler for BAR " + i);
                    }
                    cs.setBarAddress(i, (bar.is64Bit() ? mmio64 : mmio32).allocate(bar.size()));
                }
            }
            slots[slot] = function;
            handlers[slot] = h;
            mappedAt[slot] = at;
            updateDecoding(slot);
            LOG.log(Level.DEBUG, () -> String.format("PCI 00:%02x.0: %s", slotOf(function), function.name()));
            return slot;
        }
    }

    /**
     * After a snapshot's configuration spaces were restored: each BAR's handler goes where the
     * restored registers say it decodes (and the functions are told, as for a guest's write).
     */
    public void restored() {
        synchronized (configLock) {
            for (int slot = 0; slot < SLOTS; slot++) {
                if (slots[slot] != null) {
                    updateDecoding(slot);
                }
            }
        }
    }

    private int slotOf(PciFunction function) {
        for (int i = 0; i < SLOTS; i++) {
            if (slots[i] == function) {
                return i;
            }
        }
        return -1;
    }

    /** The ECAM window's handler (registered on the MMIO bus by the constructor). */
    BusDevice ecam() {
        return ecam;
    }

    /** The function an ECAM offset (bus << 20 | slot << 15 | function << 12 | register) names, or null. */
    private PciFunction functionAt(long offset, int size) {
        return offset >>> 20 == 0 && (offset >>> 12 & 7) == 0 && size <= 4 ? slots[(int) (offset >>> 15) & 31] : null;
    }

    private long readConfig(long offset, int size) {
        int register = (int) offset & 0xfff;
        synchronized (configLock) {
            PciFunction f = functionAt(offset, size);
            if (f == null) {
                return size >= 8 ? -1L : (1L << (size * 8)) - 1;
            }
            int value = f.configSpace().read(register, size);
            return f.configRead(register, size, value) & (size == 4 ? 0xffff_ffffL : (1L << (size * 8)) - 1);
        }
    }

    private void writeConfig(long offset, int size, long value) {
        int register = (int) offset & 0xfff;
        synchronized (configLock) {
            PciFunction f = functionAt(offset, size);
            if (f == null) {
                return;
            }
            int slot = (int) (offset >>> 15) & 31;
            f.configSpace().write(register, size, (int) value);
            if (register < PciConfigSpace.BAR0 + 24 && register + size > PciConfigSpace.COMMAND) {
                updateDecoding(slot);
            }
            f.configWritten(register, size);
        }
    }

    /** Moves each BAR's handler to where the BAR decodes now. */
    private void updateDecoding(int slot) {
        PciFunction f = slots[slot];
        PciConfigSpace cs = f.configSpace();
        boolean memory = (cs.get(PciConfigSpace.COMMAND, 2) & PciConfigSpace.COMMAND_MEMORY_SPACE) != 0;
        for (int i = 0; i < 6; i++) {
            PciBar bar = cs.bar(i);
            if (bar == null) {
                continue;
            }
            long address = cs.barAddress(i);
            long wanted = memory && address != 0 && address + bar.size() > address ? address : UNMAPPED;
            long now = mappedAt[slot][i];
            if (wanted == now) {
                continue;
            }
            if (now != UNMAPPED) {
                mmioBus.unregister(now, handlers[slot][i]);
                mappedAt[slot][i] = UNMAPPED;
                f.barUnmapped(i, now);
            }
            if (wanted != UNMAPPED) {
                try {
                    mmioBus.register(wanted, bar.size(), handlers[slot][i]);
                } catch (BusConflictException e) {
                    int index = i;
                    BAR_CONFLICT.log(Level.WARNING, () -> String.format("PCI 00:%02x.0 (%s): BAR %d at 0x%x not decoded: %s",
                            slot, f.name(), index, wanted, e.getMessage()));
                    continue;
                }
                mappedAt[slot][i] = wanted;
                f.barMapped(i, wanted);
            }
        }
    }

    /** 00:00.0: the host bridge, a header and nothing else. */
    private static final class HostBridge implements PciFunction {
        private final PciConfigSpace config = new PciConfigSpace(HOST_BRIDGE_VENDOR, HOST_BRIDGE_DEVICE, CLASS_HOST_BRIDGE, 0);

        @Override
        public PciConfigSpace configSpace() {
            return config;
        }

        @Override
        public BusDevice barHandler(int index) {
            return null;
        }

        @Override
        public String name() {
            return "host bridge";
        }
    }
}
