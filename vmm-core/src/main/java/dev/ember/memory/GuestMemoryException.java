package dev.ember.memory;

/** A guest-physical access outside guest RAM, or spanning two regions. */
public final class GuestMemoryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public GuestMemoryException(String message) {
        super(message);
    }
}
