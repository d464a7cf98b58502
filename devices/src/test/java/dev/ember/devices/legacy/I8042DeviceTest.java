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

    /** Firecracker's i8042 counters: served reads and writes, missed ones, and a Ctrl-Alt-Del that found the buffer full. */
    @Test
    void readsWritesAndMissesAreCounted() {
        dev.ember.metrics.MetricGroup g = dev.ember.metrics.FirecrackerMetrics.I8042.declare();
        long reads = g.counter("read_count").get();
        long writes = g.counter("write_count").get();
        long missedReads = g.counter("missed_read_count").get();
        long missedWrites = g.counter("missed_write_count").get();
        long errors = g.counter("error_count").get();
        try (EventFdLine irq = new EventFdLine()) {
            I8042Device dev = new I8042Device(irq, (c, r) -> { });
            dev.write(4, 1, 0x20);  // read CTR: served
            dev.read(4, 1);         // status
            dev.read(0, 1);         // the CTR byte
            dev.read(0, 1);         // nothing queued: missed
            dev.write(4, 1, 0x42);  // no such command: missed
            dev.sendCtrlAltDel();   // 11 bytes queued, never read
            org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, dev::sendCtrlAltDel);
        }
        assertEquals(2, g.counter("read_count").get() - reads);
        assertEquals(1, g.counter("write_count").get() - writes);
        assertEquals(1, g.counter("missed_read_count").get() - missedReads);
        assertEquals(1, g.counter("missed_write_count").get() - missedWrites);
        assertEquals(1, g.counter("error_count").get() - errors);
    }
}
