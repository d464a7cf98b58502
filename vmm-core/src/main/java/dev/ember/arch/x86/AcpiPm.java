package dev.ember.arch.x86;

/**
 * The ACPI power-management registers Ember's FADT describes and a device in the devices module
 * serves: a PM1a event block (PM1_STS, PM1_EN; 2 bytes each) and a PM1a control block (PM1_CNT,
 * 2 bytes) on I/O ports, and the SCI interrupt. Bit positions from ACPI 6.x section 4.8.
 */
public final class AcpiPm {
    /** PM1a_EVT_BLK: PM1_STS at +0, PM1_EN at +2. */
    public static final int PM1A_EVT_PORT = 0x600;
    public static final int PM1_EVT_LEN = 4;
    /** PM1a_CNT_BLK, right after the event block, so one device serves both. */
    public static final int PM1A_CNT_PORT = PM1A_EVT_PORT + PM1_EVT_LEN;
    public static final int PM1_CNT_LEN = 2;
    /** Ports the device covers: the event block and the control block. */
    public static final int PORT_COUNT = PM1_EVT_LEN + PM1_CNT_LEN;
    /** System control interrupt (ISA IRQ 9, as on PCs); nothing in Ember raises it. */
    public static final int SCI_IRQ = 9;

    /** PM1_CNT bits: SCI_EN (the machine is in ACPI mode), SLP_TYP (3 bits), SLP_EN. */
    public static final int SCI_EN = 1, SLP_TYP_SHIFT = 10, SLP_TYP_MASK = 7 << SLP_TYP_SHIFT, SLP_EN = 1 << 13;
    /** The SLP_TYP value the DSDT's \_S5_ gives for soft-off. */
    public static final int SLP_TYP_S5 = 5;

    private AcpiPm() {}
}
