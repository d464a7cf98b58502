package dev.ember.vm;

/**
 * How a device asks the VMM to end the VM: the i8042 on a guest reset, the test-guest exit
 * port, a fatal device error. Safe to call from any thread; the first request wins.
 */
@FunctionalInterface
public interface ExitRequest {
    /** Ends the VM with process status {@code exitCode}: an {@link ExitCode}'s, or one a test guest chose. */
    void requestExit(int exitCode, String reason);

    /** Ends the VM with one of the VMM's own exit codes. */
    default void requestExit(ExitCode exitCode, String reason) {
        requestExit(exitCode.code(), reason);
    }
}
