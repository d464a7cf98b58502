package dev.ember.config;

/**
 * A configuration value was rejected. The message is meant for the user as is: it names the
 * field (e.g. {@code machine-config.vcpu_count}) and says what would be accepted. The API
 * returns it as Firecracker's {@code fault_message}; the CLI prints it and exits 152.
 */
public class ConfigException extends Exception {
    public ConfigException(String message) {
        super(message);
    }
}
