package dev.ember.snapshot;

/**
 * A component whose state goes into a snapshot. {@link #saveState} runs while the VM is paused
 * (no vCPU touches the device); {@link #restoreState} runs on a freshly built component before
 * any vCPU runs, and reads back exactly what {@link #saveState} wrote, in the same order.
 */
public interface Snapshottable {
    void saveState(StateWriter out);

    /** @throws SnapshotFormatException when the saved state is malformed or cannot be applied */
    void restoreState(StateReader in);
}
