package dev.ember.devices.legacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.snapshot.SnapshotFormatException;
import dev.ember.snapshot.StateReader;
import dev.ember.snapshot.StateWriter;
import dev.ember.vm.ExitRequest;
import org.junit.jupiter.api.Test;

/** The UART and the i8042 carry their guest-visible state into a new instance. */
class LegacyStateTest {
    private static final int THR = 0, IER = 1, IIR = 2, LCR = 3, LSR = 5, SCR = 7;

    private static StateReader saved(dev.ember.snapshot.Snapshottable s) {
        StateWriter w = new StateWriter();
        s.saveState(w);
        return new StateReader("test", w.toByteArray());
    }

    @Test
    void uartRegistersAndUnreadInputSurvive() throws Exception {
        try (EventFdLine irq = new EventFdLine(); EventFdLine irq2 = new EventFdLine()) {
            Serial8250 uart = new Serial8250(irq, -1);
            uart.write(LCR, 1, 0x83); // DLAB, 8 bits
            uart.write(THR, 1, 0x01); // divisor low: 115200 baud
            uart.write(LCR, 1, 0x03);
            uart.write(SCR, 1, 0x5a);
            uart.write(IER, 1, 0x01); // RDA interrupt
            uart.enqueueInput((byte) 'o');
            uart.enqueueInput((byte) 'k');

            Serial8250 copy = new Serial8250(irq2, -1);
            StateReader r = saved(uart);
            copy.restoreState(r);
            r.end();
            assertEquals(0x03, copy.read(LCR, 1));
            assertEquals(0x5a, copy.read(SCR, 1));
            assertEquals(0x01, copy.read(IER, 1));
            assertEquals(0x04, copy.read(IIR, 1) & 0x0f, "receive-data interrupt still pending");
            assertTrue((copy.read(LSR, 1) & 1) != 0, "data ready");
            assertEquals('o', copy.read(THR, 1));
            assertEquals('k', copy.read(THR, 1));
            copy.write(LCR, 1, 0x83);
            assertEquals(0x01, copy.read(THR, 1), "divisor kept");
        }
    }

    @Test
    void i8042StateSurvivesAndBadStateIsRefused() throws Exception {
        ExitRequest noExit = (code, reason) -> { };
        try (EventFdLine irq = new EventFdLine(); EventFdLine irq2 = new EventFdLine()) {
            I8042Device kbd = new I8042Device(irq, noExit);
            kbd.write(4, 1, 0x60); // write control register
            kbd.write(0, 1, 0x45);
            kbd.write(4, 1, 0x20); // read control register: one byte queued
            I8042Device copy = new I8042Device(irq2, noExit);
            StateReader r = saved(kbd);
            copy.restoreState(r);
            r.end();
            assertEquals(kbd.read(4, 1), copy.read(4, 1), "status register");
            assertEquals(0x45, copy.read(0, 1), "queued control-register byte");

            byte[] bad = new StateWriter().i32(0x100).toByteArray();
            SnapshotFormatException e = assertThrows(SnapshotFormatException.class,
                    () -> new I8042Device(irq2, noExit).restoreState(new StateReader("i8042", bad)));
            assertTrue(e.getMessage().contains("i8042 status"), e.getMessage());
        }
    }
}
