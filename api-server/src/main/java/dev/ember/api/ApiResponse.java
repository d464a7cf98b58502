package dev.ember.api;

/** What a route answers: a status and an optional JSON body (or text with its content type). */
public record ApiResponse(int status, Object body, String contentType) {
    public static final String JSON = "application/json";

    public static ApiResponse noContent() {
        return new ApiResponse(204, null, null);
    }

    public static ApiResponse ok(Object jsonBody) {
        return new ApiResponse(200, jsonBody, JSON);
    }

    public static ApiResponse text(String body, String contentType) {
        return new ApiResponse(200, body, contentType);
    }

    public static ApiResponse fault(int status, String message) {
        return new ApiResponse(status, new Fault(message), JSON);
    }

    /** Firecracker's error body. */
    public record Fault(@com.fasterxml.jackson.annotation.JsonProperty("fault_message") String faultMessage) {}
}
