package dev.ember.api;

/** The API server cannot start (socket in use, path not usable, ...); the message says why. */
public final class ApiServerException extends Exception {
    public ApiServerException(String message) {
        super(message);
    }

    public ApiServerException(String message, Throwable cause) {
        super(message, cause);
    }
}
