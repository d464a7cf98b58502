package dev.ember.devices.legacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class I8042DeviceTest {
    @Test
    void resetCommandRequestsACleanExit() {
        AtomicInteger code = new AtomicInteger(-1);
        AtomicReference<String> why = new AtomicReference<>();
        try (EventFdLine irq = new EventFdLine()) {
            I8042Device dev = new I8042Device(irq, (c, r) -> { code.set(c); why.set(r); });
            dev.write(4, 1, 0xfe);
        }
        assertEquals(0, code.get());
        assertTrue(why.get().contains("reset"));
    }

    @Test
    void controllerAnswersTheLinuxProbeSequence() {
        try (EventFdLine irq = new EventFdLine()) {
            I8042Device dev = new I8042Device(irq, (c, r) -> { });
            dev.write(4, 1, 0x20);
            assertEquals(1, dev.read(4, 1) & 1, "output buffer full after read-CTR");
            int ctr = (int) dev.read(0, 1);
            dev.write(4, 1, 0x60);
            dev.write(0, 1, ctr | 0x40);
            dev.write(4, 1, 0x20);
            assertEquals(ctr | 0x40, dev.read(0, 1));
            dev.write(4, 1, 0xaa);
            assertEquals(0x55, dev.read(0, 1), "controller self-test passes");
            assertEquals(0, dev.read(4, 1) & 1);
        }
    }

    @Test
    void ctrlAltDelIsInjectedAsScancodesWithAnInterrupt() {
        try (EventFdLine irq = new EventFdLine()) {
            I8042Device dev = new I8042Device(irq, (c, r) -> { });
            dev.sendCtrlAltDel();
            assertEquals(1, irq.edges());
            int[] expected = {0x14, 0x11, 0xe0, 0x71, 0xe0, 0xf0, 0x71, 0xf0, 0x11, 0xf0, 0x14};
            for (int b : expected) {
                assertEquals(b, dev.read(0, 1));
            }
            assertEquals(0, dev.read(4, 1) & 1);
        }
    }
}
