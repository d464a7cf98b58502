package dev.ember.app;

import dev.ember.arch.x86.AcpiPm;
import dev.ember.config.SerialConfig;
import dev.ember.config.VmResources;
import dev.ember.devices.legacy.AcpiPmRegisters;
import dev.ember.devices.legacy.BootTimerDevice;
import dev.ember.devices.legacy.ConsoleEscape;
import dev.ember.devices.legacy.DebugExitPort;
import dev.ember.devices.legacy.I8042Device;
import dev.ember.devices.legacy.Serial8250;
import dev.ember.log.Log;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import dev.ember.sys.NativeException;
import dev.ember.sys.Termios;

/** Wires the PC's legacy devices of a microVM: COM1, the i8042, the ACPI PM registers, the debug exit port, the boot timer. */
final class LegacyDevices {
    private static final System.Logger LOG = Log.logger(LegacyDevices.class);
    private static final int STDIN = 0, STDOUT = 1;

    private LegacyDevices() {}

    static void attach(Machine m, VmResources resources, long vmmStartNanos) throws VmmException {
        int outFd = serialOutput(resources.serial());
        m.serialOutFd = outFd == STDOUT ? -1 : outFd;
        m.serial = new Serial8250(m.vm.interrupts().irqLine(Serial8250.COM1_IRQ), outFd);
        m.vm.pioBus().register(Serial8250.COM1_PORT, Serial8250.PORT_COUNT, m.serial);
        attachConsoleInput(m, resources.consoleEscape());

        m.i8042 = new I8042Device(m.vm.interrupts().irqLine(I8042Device.KBD_IRQ), m.vm);
        m.vm.pioBus().register(I8042Device.BASE_PORT, I8042Device.PORT_COUNT, m.i8042);
        m.vm.pioBus().register(AcpiPm.PM1A_EVT_PORT, AcpiPm.PORT_COUNT, new AcpiPmRegisters(m.vm));
        m.vm.pioBus().register(DebugExitPort.PORT, 1, new DebugExitPort(m.vm));
        if (resources.bootTimer()) {
            m.vm.mmioBus().register(BootTimerDevice.MMIO_BASE, BootTimerDevice.MMIO_SIZE, new BootTimerDevice(vmmStartNanos, 0));
        }
    }

    private static int serialOutput(SerialConfig serial) throws VmmException {
        if (serial == null || serial.serialOutPath() == null) {
            return STDOUT;
        }
        int fd = Native.LIBC.open(serial.serialOutPath(), LibC.O_WRONLY | LibC.O_CREAT | LibC.O_CLOEXEC | LibC.O_APPEND, 0600);
        if (fd < 0) {
            throw new VmmException("serial.serial_out_path " + serial.serialOutPath() + " cannot be opened for writing: "
                    + Native.LIBC.strerror(Native.errno()));
        }
        return fd;
    }

    /**
     * Guest console input comes from stdin when it is something epoll can watch (a terminal or a
     * pipe); a terminal is put in raw mode so every key reaches the guest, except the console
     * escape ({@code escapeKey}, -1 for none), which a pipe never has: its bytes pass unchanged.
     */
    private static void attachConsoleInput(Machine m, int escapeKey) {
        boolean terminal = Native.LIBC.isatty(STDIN) == 1;
        ConsoleEscape escape = terminal && escapeKey >= 0 ? new ConsoleEscape(escapeKey, m.vm) : null;
        try {
            m.serial.attachInput(m.loop, STDIN, escape);
        } catch (NativeException e) {
            // /dev/null and regular files cannot be polled: the guest simply gets no input.
            LOG.log(System.Logger.Level.DEBUG, "serial console has no input: " + e.getMessage());
            return;
        }
        m.terminal = Termios.makeRaw(STDIN);
        if (escape != null) {
            String key = ConsoleEscape.describe(escapeKey);
            LOG.log(System.Logger.Level.INFO, "console on this terminal: " + key + " then x stops the microVM, "
                    + key + " twice sends " + key + " (--console-escape)");
        }
    }
}
