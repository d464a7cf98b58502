package dev.ember.pci;

import dev.ember.errors.ReasonException;

/** A PCI bus or function could not be set up as asked (the VMM's own wiring, never the guest's doing). */
public final class PciException extends ReasonException {
    private static final long serialVersionUID = 1L;

    public enum Reason {
        /** All 32 slots of bus 0 are taken. */
        NO_FREE_SLOT,
        /** A BAR does not fit in what is left of its MMIO window. */
        WINDOW_EXHAUSTED,
        /** The function's configuration space has no room for another capability. */
        CAPABILITY_SPACE_FULL,
        /** A BAR, capability or vector the caller declared is malformed (size, index, overlap). */
        INVALID_LAYOUT
    }

    public PciException(Reason reason, String message) {
        super(reason, message);
    }

    @Override
    public Reason reason() {
        return (Reason) super.reason();
    }
}
