package dev.ember.snapshot;

/** Writing or reading a snapshot file failed at the operating-system level; the message names the file. */
public class SnapshotIoException extends RuntimeException {
    public SnapshotIoException(String message) {
        super(message);
    }

    public SnapshotIoException(String message, Throwable cause) {
        super(message, cause);
    }
}
