package dev.ember.config;

/**
 * Every configuration section or feature that needs a device model, and whether Ember has
 * that model yet. This is the one list to edit when a device lands: flip its flag to true.
 * {@link VmResources#unsupportedDevices()} reports the configured ones still false, and
 * InstanceStart fails with "not supported yet: ..." naming them.
 */
public enum Device {
    BOOT_SOURCE("boot-source", true),
    MACHINE_CONFIG("machine-config", true),
    LOGGER("logger", true),
    METRICS("metrics", true),
    SERIAL("serial", true),
    DRIVES("drives", true),
    NETWORK_INTERFACES("network-interfaces", true),
    /** io_uring block I/O (devices' BlockIoUring); Sync, the default, is preadv/pwritev on the event loop. */
    DRIVE_IO_ENGINE_ASYNC("drives.io_engine Async", true),
    PMEM("pmem", true),
    VSOCK("vsock", true),
    BALLOON("balloon", true),
    ENTROPY("entropy", true),
    MMDS("mmds-config", true),
    CPU_CONFIG("cpu-config", true),
    CPU_TEMPLATE("machine-config.cpu_template", true),
    HUGE_PAGES("machine-config.huge_pages", true);

    private final String configName;
    private final boolean supported;

    Device(String configName, boolean supported) {
        this.configName = configName;
        this.supported = supported;
    }

    /** The section or field as the user wrote it, e.g. {@code network-interfaces}. */
    public String configName() {
        return configName;
    }

    public boolean supported() {
        return supported;
    }
}
