package dev.ember.pci;

/**
 * What the guest's firmware tables must describe of the root complex: the ECAM window (ACPI
 * MCFG, e820 reserved), the bus range and the memory windows (the host bridge's _CRS).
 */
public record PciResources(long ecamBase, long ecamSize, int firstBus, int lastBus, long mmio32Base, long mmio32Size,
                           long mmio64Base, long mmio64Size) {
}
