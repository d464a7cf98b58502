package dev.ember.app;

import dev.ember.config.MemoryHotplugStatus;
import dev.ember.devices.virtio.mem.VirtioMem;
import dev.ember.devices.virtio.mem.VirtioMemException;

/**
 * What the API may ask of a running microVM's virtio-mem device, with the device's refusals in
 * Firecracker's words ({@code VmmError::VirtioMem} inside {@code MemoryHotplugUpdate}).
 */
final class MemoryHotplugControl {
    private static final long MIB = 1L << 20;
    private final VirtioMem device;

    MemoryHotplugControl(VirtioMem device) {
        this.device = device;
    }

    /** PATCH /hotplug/memory: the new requested size reaches the guest's driver through config space. */
    void setRequestedSize(long mib) throws VmmException {
        requireDevice();
        try {
            device.setRequestedSize(mib * MIB);
        } catch (VirtioMemException e) {
            String fix = e.reason() == VirtioMemException.Reason.NOT_ACTIVE
                    ? " (the guest's virtio-mem driver has not started yet: its kernel needs CONFIG_VIRTIO_MEM; retry after boot)"
                    : " (requested_size_mib " + mib + ": use a multiple of block_size_mib " + device.blockSize() / MIB
                            + " from 0 to total_size_mib " + device.regionSize() / MIB + ")";
            throw new VmmException("Memory hotplug update error: Failed to create memory hotplug device: " + e.getMessage() + fix);
        }
    }

    /** GET /hotplug/memory. */
    MemoryHotplugStatus status() throws VmmException {
        requireDevice();
        return new MemoryHotplugStatus(device.regionSize() / MIB, device.blockSize() / MIB, device.slotSize() / MIB,
                device.pluggedSize() / MIB, device.requestedSize() / MIB);
    }

    private void requireDevice() throws VmmException {
        if (device == null) {
            throw new VmmException("Failed perform action on device: Device not found (configure memory hotplug with"
                    + " PUT /hotplug/memory before boot)");
        }
    }
}
