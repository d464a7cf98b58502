package dev.ember.vm;

/**
 * How a device asks the VMM to end the VM: the i8042 on a guest reset, the test-guest exit
 * port, a fatal device error. Safe to call from any thread; the first request wins.
 */
@FunctionalInterface
public interface ExitRequest {
    void requestExit(int exitCode, String reason);
}
