package dev.ember.devices.legacy;

import dev.ember.bus.BusDevice;
import dev.ember.vm.ExitRequest;

/**
 * A one-byte port at 0xf4 through which a guest ends the VM with an exit status of its choice,
 * the way test guests report pass (0) or a failure code. (QEMU's isa-debug-exit plays the same
 * role at the same port.)
 */
public final class DebugExitPort implements BusDevice {
    public static final int PORT = 0xf4;

    private final ExitRequest exit;

    public DebugExitPort(ExitRequest exit) {
        this.exit = exit;
    }

    @Override
    public long read(long offset, int size) {
        return 0xff;
    }

    @Override
    public void write(long offset, int size, long value) {
        int code = (int) value & 0xff;
        exit.requestExit(code, "guest wrote " + code + " to the debug exit port");
    }
}
