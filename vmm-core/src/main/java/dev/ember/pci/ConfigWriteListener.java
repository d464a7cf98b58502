package dev.ember.pci;

/**
 * Told after the guest wrote registers of a capability (e.g. MSI-X Message Control), with the
 * new value already in the configuration space. Called on the vCPU thread that wrote, under the
 * root complex's configuration lock; must not allocate or block.
 */
@FunctionalInterface
public interface ConfigWriteListener {
    /** @param offset the first byte written, from the start of the configuration space */
    void written(int offset, int size);
}
