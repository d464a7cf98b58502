package dev.ember.devices.legacy;

import dev.ember.vm.ExitCode;
import dev.ember.vm.ExitRequest;

/**
 * A way out of the serial console for a user at a terminal, whose Ctrl-C goes to the guest (the
 * terminal is raw): as in QEMU, the escape key (Ctrl-A by default) then {@code x} ends the VM
 * cleanly (exit 0); the escape key twice sends it once; the escape key then any other key sends
 * both. Only for a terminal: scripts that pipe data get their bytes unchanged (no escape).
 * Runs on the event-loop thread for every typed byte: one flag of state, nothing allocated.
 */
public final class ConsoleEscape {
    private final byte key;
    private final ExitRequest exit;
    private boolean armed;

    /** @param key the escape byte, e.g. 0x01 for Ctrl-A */
    public ConsoleEscape(int key, ExitRequest exit) {
        if (key < 0 || key > 0xff) {
            throw new IllegalArgumentException("escape key " + key + " is not a byte");
        }
        this.key = (byte) key;
        this.exit = exit;
    }

    /** How a user names {@code key}: ^A for 0x01. */
    public static String describe(int key) {
        return key < 0x20 ? "Ctrl-" + (char) (key + '@') : "'" + (char) key + "'";
    }

    /** One byte typed on the terminal: gives the guest what it is to get, or ends the VM. */
    void typed(byte b, Serial8250 guest) {
        if (!armed) {
            if (b == key) {
                armed = true;
            } else {
                guest.enqueueInput(b);
            }
            return;
        }
        armed = false;
        if (b == 'x' || b == 'X') {
            exit.requestExit(ExitCode.OK, "console escape " + describe(key & 0xff) + " x typed");
            return;
        }
        guest.enqueueInput(key);
        if (b != key) {
            guest.enqueueInput(b);
        }
    }
}
