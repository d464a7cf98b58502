package dev.ember.pci;

import dev.ember.bus.BusDevice;

/**
 * A function on the PCI bus (function 0 of its slot): its configuration space, the handlers of
 * its memory BARs, and what it must learn when the guest moves them.
 *
 * <p>The root complex owns the MMIO-bus registration of every BAR: a BAR's handler is on the bus
 * exactly while the Command register's Memory Space Enable is set and the BAR holds an address,
 * at that address. Callbacks come on the vCPU thread that wrote the configuration space, under
 * the root complex's configuration lock, outside every hot path.
 */
public interface PciFunction {
    /** The function's configuration space; the root complex routes the guest's accesses to it. */
    PciConfigSpace configSpace();

    /**
     * The handler of BAR {@code index} (one the configuration space declares), offsets relative
     * to the BAR's address; called once when the function is attached.
     */
    BusDevice barHandler(int index);

    /**
     * BAR {@code index} now decodes at {@code address} (its handler is already on the MMIO bus
     * there): move what else lives at BAR addresses, e.g. ioeventfds of notify registers.
     */
    default void barMapped(int index, long address) {}

    /** BAR {@code index} no longer decodes at {@code address} (its handler is already off the bus). */
    default void barUnmapped(int index, long address) {}

    /**
     * The guest wrote {@code [offset, +size)} of the configuration space (after masks applied and
     * capability listeners ran). For registers outside capabilities, e.g. Bus Master Enable.
     */
    default void configWritten(int offset, int size) {}

    /**
     * The guest reads {@code [offset, +size)}: {@code value} is what the configuration space
     * holds, the result is what the guest gets (a register computed at read time, such as
     * virtio's PCI configuration access window). Same thread and lock as the write callbacks.
     */
    default int configRead(int offset, int size, int value) {
        return value;
    }

    /** A short name for logs and errors ("virtio-block rootfs"). */
    String name();
}
