package dev.ember.app;

/** A VM action failed; the message is shown to the user (API fault_message, CLI error line). */
public class VmmException extends Exception {
    public VmmException(String message) {
        super(message);
    }

    public VmmException(String message, Throwable cause) {
        super(message, cause);
    }
}
