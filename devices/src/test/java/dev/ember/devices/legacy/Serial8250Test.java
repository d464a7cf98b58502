package dev.ember.devices.legacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Serial8250Test {
    private static final int THR = 0, IER = 1, IIR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7;

    @TempDir
    Path dir;

    /** The UART most tests drive: its output goes to the file {@code console}, its interrupt to {@code irq}. */
    private Path console;
    private int fd;
    private EventFdLine irq;
    private Serial8250 uart;

    @BeforeEach
    void uartOnAFile() throws Exception {
        console = dir.resolve("console");
        fd = openOut(console);
        irq = new EventFdLine();
        uart = new Serial8250(irq, fd);
    }

    @AfterEach
    void close() {
        irq.close();
        Native.LIBC.close(fd);
    }

    private int openOut(Path p) {
        return Native.check(Native.LIBC.open(p.toString(), LibC.O_WRONLY | LibC.O_CREAT | LibC.O_CLOEXEC, 0644), "open");
    }

    @Test
    void transmittedBytesReachTheOutputFd() throws Exception {
        for (byte b : "hi!\n".getBytes(StandardCharsets.US_ASCII)) {
            assertTrue((uart.read(LSR, 1) & 0x20) != 0, "THR empty before each write");
            uart.write(THR, 1, b);
        }
        assertEquals(0, irq.edges(), "no THRE interrupt while IER is clear");
        assertEquals("hi!\n", Files.readString(console));
    }

    @Test
    void thrEmptyInterruptFiresWhenEnabledAndIsClearedByReadingIir() throws Exception {
        uart.write(IER, 1, 0x02);
        assertEquals(1, irq.edges(), "enabling THRE raises the line at once");
        assertEquals(0x02, uart.read(IIR, 1) & 0x0f, "IIR reports THR empty");
        assertEquals(0x01, uart.read(IIR, 1) & 0x0f, "reading IIR acknowledged it");
        uart.write(THR, 1, 'x');
        assertEquals(1, irq.edges());
    }

    @Test
    void receivedBytesAreReadInOrderWithDataReadyAndRdaInterrupt() throws Exception {
        uart.write(IER, 1, 0x01);
        uart.enqueueInput((byte) 'a');
        uart.enqueueInput((byte) 'b');
        assertEquals(2, irq.edges());
        assertEquals(0x04, uart.read(IIR, 1) & 0x0f);
        assertEquals(1, uart.read(LSR, 1) & 1);
        assertEquals('a', uart.read(THR, 1));
        assertEquals('b', uart.read(THR, 1));
        assertEquals(0, uart.read(LSR, 1) & 1);
        assertEquals(0x01, uart.read(IIR, 1) & 0x0f);
    }

    /**
     * Runs an empty task on the loop twice, so input that was ready has most likely been handled:
     * good for "nothing was taken" checks (a late event can only make them pass wrongly, never
     * fail wrongly); what must arrive is awaited instead.
     */
    private static void drain(dev.ember.eventloop.EventLoop loop) throws InterruptedException {
        for (int i = 0; i < 2; i++) {
            java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
            loop.execute(done::countDown);
            assertTrue(done.await(10, java.util.concurrent.TimeUnit.SECONDS), "the loop runs tasks");
        }
    }

    @Test
    void hostInputWaitsInItsFdUntilTheGuestListensSoTheDriversFifoResetLosesNothing() throws Exception {
        Path fifo = dir.resolve("stdin");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        int in = Native.check(Native.LIBC.open(fifo.toString(), LibC.O_RDONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0), "open fifo");
        int writer = Native.check(Native.LIBC.open(fifo.toString(), LibC.O_WRONLY | LibC.O_CLOEXEC, 0), "open fifo");
        int out = openOut(dir.resolve("c"));
        try (EventFdLine irq = new EventFdLine(); dev.ember.eventloop.EventLoop loop = new dev.ember.eventloop.EventLoop()) {
            loop.start("serial-test-loop");
            Serial8250 uart = new Serial8250(irq, out);
            // A script piped its commands before the guest booted, and is gone (the pipe hung up).
            dev.ember.sys.NativeMemory cmd = Native.allocate(3);
            cmd.put(0, "ls\n".getBytes(StandardCharsets.US_ASCII), 0, 3);
            assertEquals(3, Native.LIBC.write(writer, cmd.address(), 3));
            Native.LIBC.close(writer);
            uart.attachInput(loop, in);
            drain(loop);
            assertEquals(0, uart.read(LSR, 1) & 1, "nothing is taken from the fd while no driver listens");
            // Linux's 8250 probe: IER=0x0f read back and restored, OUT2 clear.
            uart.write(IER, 1, 0x0f);
            drain(loop);
            uart.write(IER, 1, 0x00);
            assertEquals(0, uart.read(LSR, 1) & 1, "nothing is taken while the interrupt is not routed (OUT2 clear)");
            // Its startup: reset both FIFOs, OUT2 with DTR/RTS, then enable the receive interrupt.
            uart.write(IIR, 1, 0x07);
            uart.write(MCR, 1, 0x0b);
            uart.write(IER, 1, 0x05);
            // Events of one epoll batch run in no set order, so the bytes are awaited (bounded),
            // not assumed after a drain.
            StringBuilder got = new StringBuilder();
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
            while (got.length() < 3 && System.nanoTime() < deadline) {
                if ((uart.read(LSR, 1) & 1) != 0) {
                    got.append((char) uart.read(THR, 1));
                } else {
                    Thread.sleep(1);
                }
            }
            assertEquals("ls\n", got.toString(), "every piped byte reached the guest");
            assertTrue(irq.edges() > 0, "with a receive interrupt");
        } finally {
            Native.LIBC.close(in);
            Native.LIBC.close(out);
        }
    }

    @Test
    void anInputFdEpollCannotWatchLeavesTheUartWithoutInputAndTheGuestUnharmed() throws Exception {
        int file = openOut(dir.resolve("regular-file"));
        int out = openOut(dir.resolve("c"));
        try (EventFdLine irq = new EventFdLine(); dev.ember.eventloop.EventLoop loop = new dev.ember.eventloop.EventLoop()) {
            Serial8250 uart = new Serial8250(irq, out);
            assertThrows(dev.ember.sys.NativeException.class, () -> uart.attachInput(loop, file));
            uart.write(IER, 1, 0x01); // the guest's driver starts listening: nothing to start, no failure
            assertEquals(0, uart.read(LSR, 1) & 1);
        } finally {
            Native.LIBC.close(file);
            Native.LIBC.close(out);
        }
    }

    @Test
    void loopbackModeAndScratchAndDivisorLatchBehaveLikeA16550() throws Exception {
        uart.write(SCR, 1, 0x5a);
        assertEquals(0x5a, uart.read(SCR, 1));
        uart.write(LCR, 1, 0x80);
        uart.write(THR, 1, 0x01);
        uart.write(IER, 1, 0x00);
        assertEquals(0x01, uart.read(THR, 1), "DLL behind DLAB");
        uart.write(LCR, 1, 0x03);
        uart.write(MCR, 1, 0x10 | 0x0a);
        assertEquals(0x90, uart.read(MSR, 1), "loopback maps RTS->CTS and OUT2->DCD");
        uart.write(THR, 1, 0x42);
        assertEquals(0x42, uart.read(THR, 1), "loopback returns transmitted byte");
        uart.write(MCR, 1, 0);
        assertEquals(0xb0, uart.read(MSR, 1), "DCD, DSR and CTS asserted outside loopback");
        assertEquals(0, Files.size(console), "loopback bytes never reach the host");
    }
}
