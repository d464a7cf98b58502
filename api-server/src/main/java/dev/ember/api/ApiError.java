package dev.ember.api;

/** A request-level error with its HTTP status; the message becomes the fault_message. */
public final class ApiError extends Exception {
    private final int status;

    public ApiError(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }

    /** Firecracker's answer to a pre-boot-only request after InstanceStart. */
    static ApiError notAfterBoot() {
        return new ApiError(400, "The requested operation is not supported after starting the microVM.");
    }

    /** Firecracker's answer to a post-boot-only request before InstanceStart. */
    static ApiError notBeforeBoot() {
        return new ApiError(400, "The requested operation is not supported before starting the microVM.");
    }
}
