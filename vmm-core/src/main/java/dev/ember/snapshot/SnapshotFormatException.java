package dev.ember.snapshot;

/**
 * A snapshot state file that cannot be used: missing, truncated, corrupt, from another format
 * version, or holding state this VMM cannot restore. The message names the file (or section)
 * and the problem, and is shown to the API user as is.
 */
public class SnapshotFormatException extends RuntimeException {
    public SnapshotFormatException(String message) {
        super(message);
    }

    public SnapshotFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
