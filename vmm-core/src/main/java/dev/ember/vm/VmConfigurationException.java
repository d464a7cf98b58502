package dev.ember.vm;

/**
 * The VM cannot be built as asked: a bad {@link VmSpec} field, a boot set-up the vCPUs cannot
 * take, or a host KVM that lacks what the spec needs. The message names the field and the fix;
 * the VMM exits with {@link ExitCode#BAD_CONFIGURATION}.
 */
public final class VmConfigurationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public VmConfigurationException(String message) {
        super(message);
    }

    public VmConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
