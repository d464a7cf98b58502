package dev.ember.config;

import java.util.List;

/** The configuration asks for a device or feature that Ember cannot build yet. */
public final class UnsupportedDeviceException extends ConfigException {
    private final List<String> devices;

    public UnsupportedDeviceException(List<String> devices) {
        super(Reason.UNSUPPORTED, "not supported yet: " + String.join(", ", devices)
                + " (remove these sections from the configuration to start the microVM)");
        this.devices = List.copyOf(devices);
    }

    public List<String> devices() {
        return devices;
    }
}
