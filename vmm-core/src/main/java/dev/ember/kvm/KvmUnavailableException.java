package dev.ember.kvm;

/** /dev/kvm cannot be used: missing, not permitted, or an API version Ember does not speak. */
public final class KvmUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public KvmUnavailableException(String message) {
        super(message);
    }
}
