package dev.ember.devices.legacy;

import dev.ember.bus.BusDevice;
import dev.ember.eventloop.EventHandler;
import dev.ember.eventloop.EventLoop;
import dev.ember.irq.InterruptLine;
import dev.ember.metrics.Counter;
import dev.ember.metrics.FirecrackerMetrics;
import dev.ember.metrics.MetricGroup;
import dev.ember.snapshot.Snapshottable;
import dev.ember.snapshot.StateReader;
import dev.ember.snapshot.StateWriter;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import dev.ember.sys.NativeException;
import dev.ember.sys.SharedTerminal;
import dev.ember.sys.NativeMemory;

/**
 * A 16550A-compatible UART (the PC's COM1 at 0x3f8, IRQ 4): what Linux's 8250 driver and the
 * test guest talk to for the console.
 *
 * <p>Transmit is immediate (the holding register is always empty again by the time the guest
 * reads LSR), so THR-empty interrupts fire as soon as they are enabled. Received bytes come
 * from a host fd served by the event loop into a ring buffer; when the ring is full the fd is
 * taken out of the poll set until the guest drains it, so no input byte is ever dropped. The fd
 * is read only while the guest's driver takes interrupt-driven input: the receive interrupt
 * enabled in IER and routed to the CPU by OUT2 (the PC's IRQ gate), outside loopback. Linux's
 * 8250 driver resets the receive FIFO when it opens the port and toggles IER=0x0f while probing
 * (OUT2 clear), so bytes taken earlier (a script piping commands to a guest that is still
 * booting) would be thrown away; they wait in the pipe instead.
 *
 * <p>Register accesses arrive on vCPU threads and input on the event-loop thread; both take the
 * device monitor for a handful of field updates, and neither allocates.
 */
public final class Serial8250 implements BusDevice, Snapshottable {
    public static final int COM1_PORT = 0x3f8;
    public static final int COM1_IRQ = 4;
    public static final int PORT_COUNT = 8;

    private static final int DATA = 0, IER = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7;
    private static final int IER_RDA = 0x01, IER_THRE = 0x02, IER_MASK = 0x0f;
    private static final int IIR_NONE = 0x01, IIR_THRE = 0x02, IIR_RDA = 0x04, IIR_FIFO = 0xc0;
    private static final int LCR_DLAB = 0x80;
    private static final int MCR_OUT2 = 0x08, MCR_LOOP = 0x10;
    private static final int LSR_DR = 0x01, LSR_THRE = 0x20, LSR_TEMT = 0x40;
    private static final int MSR_CTS = 0x10, MSR_DSR = 0x20, MSR_RI = 0x40, MSR_DCD = 0x80;
    private static final int RX_CAPACITY = 4096;
    private static final int STDOUT = 1;

    private final InterruptLine irq;
    private final int outFd;
    private final NativeMemory outByte = Native.allocate(1);
    private final byte[] rx = new byte[RX_CAPACITY];
    private int rxHead, rxCount;

    private int ier, lcr, mcr, scr, dll = 0x0c, dlm, fcr;
    private boolean thrEmptyPending;

    private EventLoop inputLoop;
    private int inputFd = -1;
    /** Whether {@link #inputFd} is in the loop's poll set now. */
    private boolean watching;
    private final EventHandler inputHandler = this::onInputReady;
    /** A user's terminal: its input is read as it comes (see attachInput) and goes through the escape. */
    private ConsoleEscape escape;
    private final NativeMemory inputBuf = Native.allocate(RX_CAPACITY);

    private final Counter writeCount, readCount, missedWrites, missedReads, flushCount;

    /**
     * @param irq   the UART's interrupt line
     * @param outFd host fd the guest's transmitted bytes are written to (1 for the terminal)
     */
    public Serial8250(InterruptLine irq, int outFd) {
        this.irq = irq;
        this.outFd = outFd;
        MetricGroup g = FirecrackerMetrics.UART.declare();
        writeCount = g.counter("write_count");
        readCount = g.counter("read_count");
        missedWrites = g.counter("missed_write_count");
        missedReads = g.counter("missed_read_count");
        flushCount = g.counter("flush_count");
    }

    /**
     * Feeds guest input from {@code fd} (the terminal, a pipe) through the event loop. Throws
     * {@link NativeException} for an fd epoll cannot watch (a regular file, /dev/null); the UART
     * then has no input.
     */
    public void attachInput(EventLoop loop, int fd) {
        attachInput(loop, fd, null);
    }

    /**
     * Like {@link #attachInput(EventLoop, int)}, with the input passed through {@code escape}
     * (null: none). With an escape (a user's terminal) the fd is read from the start and always,
     * so the escape works before the guest opens its console and while it does not read: keys for
     * the guest beyond the receive ring are lost then, as on a UART that overruns.
     */
    public void attachInput(EventLoop loop, int fd, ConsoleEscape escape) {
        loop.register(fd, LibC.EPOLLIN, inputHandler); // refused here, not later on a vCPU thread
        synchronized (this) {
            inputLoop = loop;
            inputFd = fd;
            this.escape = escape;
            watching = true;
            updateInputWatch();
        }
    }

    /**
     * The fd is in the poll set exactly while the guest listens and the ring has room: a full
     * ring leaves bytes in the pipe (back-pressure), and an fd that is not watched cannot wake the
     * loop, not even with a hang-up. Callers hold the monitor.
     */
    private void updateInputWatch() {
        boolean want = inputFd >= 0 && (escape != null || receiverListening() && rxCount < RX_CAPACITY);
        if (want == watching) {
            return;
        }
        if (want) {
            inputLoop.register(inputFd, LibC.EPOLLIN, inputHandler);
        } else {
            inputLoop.unregister(inputFd);
        }
        watching = want;
    }

    private boolean receiverListening() {
        return (ier & IER_RDA) != 0 && (mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2;
    }

    private void onInputReady(int events) {
        int fd, space;
        ConsoleEscape escape;
        synchronized (this) {
            escape = this.escape;
            if (!watching || escape == null && (!receiverListening() || rxCount == RX_CAPACITY)) {
                updateInputWatch();
                return;
            }
            fd = inputFd;
            space = escape != null ? RX_CAPACITY : RX_CAPACITY - rxCount;
        }
        long n = Native.LIBC.read(fd, inputBuf.address(), space);
        if (n < 0 && (Native.errno() == LibC.EAGAIN || Native.errno() == LibC.EINTR)) {
            return;
        }
        if (n <= 0) {
            // End of input (a pipe closed) or an fd that cannot be read: the guest keeps running
            // without input.
            synchronized (this) {
                inputFd = -1;
                if (watching) {
                    inputLoop.unregister(fd);
                    watching = false;
                }
            }
            return;
        }
        for (int i = 0; i < n; i++) {
            byte b = inputBuf.getByte(i);
            if (escape != null) {
                escape.typed(b, this);
            } else {
                enqueueInput(b);
            }
        }
        synchronized (this) {
            updateInputWatch();
        }
    }

    /** Adds one received byte (input from the host, or loopback), raising RDA if enabled. */
    public void enqueueInput(byte b) {
        boolean raise;
        synchronized (this) {
            if (rxCount == RX_CAPACITY) {
                return;
            }
            rx[(rxHead + rxCount) % RX_CAPACITY] = b;
            rxCount++;
            raise = (ier & IER_RDA) != 0;
        }
        if (raise) {
            irq.trigger();
        }
    }

    @Override
    public long read(long offset, int size) {
        int value;
        synchronized (this) {
            switch ((int) offset) {
                case DATA:
                    if ((lcr & LCR_DLAB) != 0) {
                        value = dll;
                    } else {
                        value = popRx();
                        updateInputWatch();
                    }
                    break;
                case IER:
                    value = (lcr & LCR_DLAB) != 0 ? dlm : ier;
                    break;
                case IIR_FCR:
                    value = interruptId() | ((fcr & 1) != 0 ? IIR_FIFO : 0);
                    if ((value & 0x0f) == IIR_THRE) {
                        thrEmptyPending = false;
                    }
                    break;
                case LCR:
                    value = lcr;
                    break;
                case MCR:
                    value = mcr;
                    break;
                case LSR:
                    value = LSR_THRE | LSR_TEMT | (rxCount > 0 ? LSR_DR : 0);
                    break;
                case MSR:
                    value = modemStatus();
                    break;
                case SCR:
                    value = scr;
                    break;
                default:
                    value = 0xff;
            }
        }
        return value & 0xff;
    }

    private int popRx() {
        if (rxCount == 0) {
            missedReads.inc(); // the guest read the receive register with nothing received
            return 0;
        }
        int b = rx[rxHead] & 0xff;
        rxHead = (rxHead + 1) % RX_CAPACITY;
        rxCount--;
        readCount.inc();
        return b;
    }

    private int interruptId() {
        if ((ier & IER_RDA) != 0 && rxCount > 0) {
            return IIR_RDA;
        }
        if ((ier & IER_THRE) != 0 && thrEmptyPending) {
            return IIR_THRE;
        }
        return IIR_NONE;
    }

    private int modemStatus() {
        if ((mcr & MCR_LOOP) != 0) {
            // In loopback the modem inputs mirror the modem outputs (RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD).
            int v = 0;
            if ((mcr & 0x02) != 0) v |= MSR_CTS;
            if ((mcr & 0x01) != 0) v |= MSR_DSR;
            if ((mcr & 0x04) != 0) v |= MSR_RI;
            if ((mcr & 0x08) != 0) v |= MSR_DCD;
            return v;
        }
        return MSR_DCD | MSR_DSR | MSR_CTS;
    }

    @Override
    public void write(long offset, int size, long value) {
        int v = (int) value & 0xff;
        boolean raise = false;
        synchronized (this) {
            switch ((int) offset) {
                case DATA:
                    if ((lcr & LCR_DLAB) != 0) {
                        dll = v;
                    } else if ((mcr & MCR_LOOP) != 0) {
                        if (rxCount < RX_CAPACITY) {
                            rx[(rxHead + rxCount) % RX_CAPACITY] = (byte) v;
                            rxCount++;
                        }
                        thrEmptyPending = true;
                        raise = (ier & (IER_RDA | IER_THRE)) != 0;
                    } else {
                        transmit(v);
                        thrEmptyPending = true;
                        raise = (ier & IER_THRE) != 0;
                    }
                    break;
                case IER:
                    if ((lcr & LCR_DLAB) != 0) {
                        dlm = v;
                    } else {
                        int enabled = v & ~ier;
                        ier = v & IER_MASK;
                        if ((enabled & IER_THRE) != 0) {
                            thrEmptyPending = true;
                            raise = true;
                        }
                        if ((enabled & IER_RDA) != 0 && rxCount > 0) {
                            raise = true;
                        }
                        updateInputWatch();
                    }
                    break;
                case IIR_FCR:
                    fcr = v;
                    if ((v & 0x02) != 0) {
                        rxHead = 0;
                        rxCount = 0;
                        updateInputWatch();
                    }
                    break;
                case LCR:
                    lcr = v;
                    break;
                case MCR:
                    mcr = v;
                    updateInputWatch();
                    break;
                case SCR:
                    scr = v;
                    break;
                default:
                    // LSR and MSR are read-only; writes to them are ignored as on real hardware.
            }
        }
        if (raise) {
            irq.trigger();
        }
    }

    private void transmit(int b) {
        outByte.putByte(0, (byte) b);
        long rc;
        if (outFd == STDOUT) {
            rc = SharedTerminal.stdio().writeConsole(outFd, outByte.address(), (byte) b); // the log may share it
        } else {
            do {
                rc = Native.LIBC.write(outFd, outByte.address(), 1);
            } while (rc < 0 && Native.errno() == LibC.EINTR);
        }
        if (rc == 1) {
            writeCount.inc();
        } else {
            missedWrites.inc();
        }
    }

    /** Output goes straight to the fd on every byte; this only counts the request (FlushMetrics). */
    public void flush() {
        flushCount.inc();
    }

    /** Registers and received bytes the guest has not read yet; the host side (fds) is not state. */
    @Override
    public synchronized void saveState(StateWriter out) {
        out.u8(ier).u8(lcr).u8(mcr).u8(scr).u8(dll).u8(dlm).u8(fcr).bool(thrEmptyPending);
        byte[] pending = new byte[rxCount];
        for (int i = 0; i < rxCount; i++) {
            pending[i] = rx[(rxHead + i) % RX_CAPACITY];
        }
        out.bytes(pending);
    }

    @Override
    public synchronized void restoreState(StateReader in) {
        restoreRegisters(in);
        updateInputWatch();
    }

    private void restoreRegisters(StateReader in) {
        ier = in.u8("serial IER") & IER_MASK;
        lcr = in.u8("serial LCR");
        mcr = in.u8("serial MCR");
        scr = in.u8("serial SCR");
        dll = in.u8("serial DLL");
        dlm = in.u8("serial DLM");
        fcr = in.u8("serial FCR");
        thrEmptyPending = in.bool("serial THR-empty pending");
        byte[] pending = in.bytes("serial receive buffer");
        if (pending.length > RX_CAPACITY) {
            throw in.invalid("serial receive buffer", "holds " + pending.length + " bytes, more than " + RX_CAPACITY);
        }
        System.arraycopy(pending, 0, rx, 0, pending.length);
        rxHead = 0;
        rxCount = pending.length;
    }
}
