package dev.ember.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.eventloop.EventFd;
import org.junit.jupiter.api.Test;

/**
 * An irqfd line on a real eventfd: an edge is one counter increment, a saturated counter is no
 * failure, and a line whose eventfd is closed reports the failure (the device counts it as
 * Firecracker's event_fails) and writes nothing to the fd number, which another file may have
 * taken since.
 */
class IrqfdInterruptLineTest {
    @Test
    void edgesReachTheEventFdAndAClosedLineSaysItFailed() {
        EventFd fd = EventFd.nonBlocking();
        IrqfdInterruptLine line = new IrqfdInterruptLine(fd, 5, null);
        assertTrue(line.trigger());
        assertTrue(line.trigger());
        assertEquals(2, fd.read());
        // A counter at its maximum (0xfffffffffffffffe) refuses more with EAGAIN: the reader has
        // an edge pending, so this is no failure.
        assertTrue(fd.write(0xFFFF_FFFF_FFFF_FFFEL));
        assertTrue(line.trigger());
        fd.read();

        line.close();
        assertFalse(line.trigger(), "a closed line reports that the edge was not raised");
        assertFalse(fd.write(1), "nothing is written after close, whatever file has the fd number now");
        assertEquals(0, fd.read());
        line.close(); // closing twice is harmless
    }
}
