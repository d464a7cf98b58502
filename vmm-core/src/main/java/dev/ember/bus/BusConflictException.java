package dev.ember.bus;

/** Two devices asked for overlapping ranges of one bus. */
public final class BusConflictException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BusConflictException(String message) {
        super(message);
    }
}
