package dev.ember.devices.legacy;

import dev.ember.bus.BusDevice;
import dev.ember.irq.InterruptLine;
import dev.ember.metrics.Counter;
import dev.ember.metrics.FirecrackerMetrics;
import dev.ember.metrics.MetricGroup;
import dev.ember.snapshot.Snapshottable;
import dev.ember.snapshot.StateReader;
import dev.ember.snapshot.StateWriter;
import dev.ember.vm.ExitCode;
import dev.ember.vm.ExitRequest;

/**
 * The PS/2 controller at ports 0x60-0x64, reduced to what a microVM needs: Linux's i8042 probe
 * finds a controller with a keyboard port, the guest can reset the machine (command 0xFE, the
 * {@code reboot=k} path, which ends the VMM cleanly), and the host can inject Ctrl-Alt-Del as
 * keyboard scancodes (Firecracker's SendCtrlAltDel).
 *
 * <p>Registered as one 5-port range at 0x60; offset 0 is the data port, offset 4 the
 * status/command port.
 */
public final class I8042Device implements BusDevice, Snapshottable {
    public static final int BASE_PORT = 0x60;
    public static final int PORT_COUNT = 5;
    public static final int KBD_IRQ = 1;

    private static final int OFF_DATA = 0, OFF_CMD = 4;
    private static final int SR_OUT_FULL = 0x01, SR_SYS_FLAG = 0x04, SR_CMD_DATA = 0x08, SR_KBD_UNLOCKED = 0x10;
    private static final int CMD_READ_CTR = 0x20, CMD_WRITE_CTR = 0x60, CMD_READ_OUTP = 0xd0, CMD_WRITE_OUTP = 0xd1,
            CMD_SELF_TEST = 0xaa, CMD_KBD_TEST = 0xab, CMD_DISABLE_KBD = 0xad, CMD_ENABLE_KBD = 0xae,
            CMD_PULSE_RESET = 0xfe;
    private static final int CTR_KBD_INT = 0x01;
    private static final int BUF_SIZE = 16;

    private final InterruptLine kbdIrq;
    private final ExitRequest exit;
    private final byte[] buf = new byte[BUF_SIZE];
    private int bufHead, bufCount;
    private int status = SR_KBD_UNLOCKED | SR_SYS_FLAG;
    private int control = CTR_KBD_INT;
    private int outp;
    private int pendingCmd;
    private final Counter resetCount, missedReads, missedWrites, readCount, writeCount, errorCount;

    public I8042Device(InterruptLine kbdIrq, ExitRequest exit) {
        this.kbdIrq = kbdIrq;
        this.exit = exit;
        MetricGroup g = FirecrackerMetrics.I8042.declare();
        resetCount = g.counter("reset_count");
        missedReads = g.counter("missed_read_count");
        missedWrites = g.counter("missed_write_count");
        readCount = g.counter("read_count");
        writeCount = g.counter("write_count");
        errorCount = g.counter("error_count");
    }

    @Override
    public long read(long offset, int size) {
        synchronized (this) {
            if (offset == OFF_CMD) {
                readCount.inc();
                return status;
            }
            if (offset == OFF_DATA) {
                if (bufCount == 0) {
                    missedReads.inc();
                    return 0;
                }
                readCount.inc();
                int b = buf[bufHead] & 0xff;
                bufHead = (bufHead + 1) % BUF_SIZE;
                bufCount--;
                if (bufCount == 0) {
                    status &= ~SR_OUT_FULL;
                }
                return b;
            }
        }
        return 0xff;
    }

    @Override
    public void write(long offset, int size, long value) {
        int v = (int) value & 0xff;
        boolean reset = false;
        boolean raise = false;
        synchronized (this) {
            if (offset == OFF_CMD) {
                status |= SR_CMD_DATA;
                switch (v) {
                    case CMD_READ_CTR: raise = push(control); break;
                    case CMD_WRITE_CTR: case CMD_WRITE_OUTP: pendingCmd = v; break;
                    case CMD_READ_OUTP: raise = push(outp); break;
                    case CMD_SELF_TEST: raise = push(0x55); break;
                    case CMD_KBD_TEST: raise = push(0x00); break;
                    case CMD_DISABLE_KBD: case CMD_ENABLE_KBD: break;
                    case CMD_PULSE_RESET: reset = true; break;
                    default: missedWrites.inc(); return;
                }
                writeCount.inc();
            } else if (offset == OFF_DATA) {
                status &= ~SR_CMD_DATA;
                if (pendingCmd == CMD_WRITE_CTR) {
                    control = v;
                } else if (pendingCmd == CMD_WRITE_OUTP) {
                    outp = v;
                } else {
                    // A command to the keyboard itself: acknowledge it, as a real keyboard does.
                    raise = push(0xfa);
                }
                pendingCmd = 0;
                writeCount.inc();
            }
        }
        if (raise) {
            kbdIrq.trigger();
        }
        if (reset) {
            resetCount.inc();
            // A guest-requested reset is a clean shutdown, as Firecracker treats it.
            exit.requestExit(ExitCode.OK, "guest reset through the i8042 controller");
        }
    }

    /** Queues a byte for the guest; returns whether the keyboard interrupt should be raised. */
    private boolean push(int b) {
        if (bufCount == BUF_SIZE) {
            return false;
        }
        buf[(bufHead + bufCount) % BUF_SIZE] = (byte) b;
        bufCount++;
        status |= SR_OUT_FULL;
        return (control & CTR_KBD_INT) != 0;
    }

    /**
     * Injects the Ctrl-Alt-Del key sequence (scancode set 2: press Ctrl, Alt, Del, then release
     * in reverse), which Linux's atkbd turns into a reboot request.
     */
    public void sendCtrlAltDel() {
        boolean raise;
        synchronized (this) {
            if (bufCount + 11 > BUF_SIZE) {
                errorCount.inc();
                throw new IllegalStateException("the i8042 keyboard buffer is full; the guest is not reading it");
            }
            raise = push(0x14);         // Ctrl down
            push(0x11);                 // Alt down
            push(0xe0); push(0x71);     // Del down
            push(0xe0); push(0xf0); push(0x71); // Del up
            push(0xf0); push(0x11);     // Alt up
            push(0xf0); push(0x14);     // Ctrl up
        }
        if (raise) {
            kbdIrq.trigger();
        }
    }

    @Override
    public synchronized void saveState(StateWriter out) {
        out.i32(status).i32(control).i32(outp).i32(pendingCmd);
        byte[] pending = new byte[bufCount];
        for (int i = 0; i < bufCount; i++) {
            pending[i] = buf[(bufHead + i) % BUF_SIZE];
        }
        out.bytes(pending);
    }

    @Override
    public synchronized void restoreState(StateReader in) {
        status = in.i32("i8042 status", 0, 0xff);
        control = in.i32("i8042 control", 0, 0xff);
        outp = in.i32("i8042 output port", 0, 0xff);
        pendingCmd = in.i32("i8042 pending command", 0, 0xff);
        byte[] pending = in.bytes("i8042 buffer");
        if (pending.length > BUF_SIZE) {
            throw in.invalid("i8042 buffer", "holds " + pending.length + " bytes, more than " + BUF_SIZE);
        }
        System.arraycopy(pending, 0, buf, 0, pending.length);
        bufHead = 0;
        bufCount = pending.length;
    }
}
