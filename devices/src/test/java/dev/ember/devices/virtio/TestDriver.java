package dev.ember.devices.virtio;

import static dev.ember.devices.virtio.VirtioMmioDevice.*;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.ember.bus.Bus;
import dev.ember.eventloop.EventFd;
import dev.ember.eventloop.EventLoop;
import dev.ember.irq.InterruptLine;
import dev.ember.memory.GuestMemory;
import dev.ember.sys.LibC;
import java.util.function.BooleanSupplier;

/**
 * A minimal virtio-mmio driver written against the register window, as a guest would use it:
 * the tests drive real transports, queues and devices through it. The interrupt line is a real
 * eventfd (what an irqfd would be); the IoEventRegistrar binds nothing, so kicks take the
 * user-space QueueNotify path.
 */
final class TestDriver implements AutoCloseable {
    final GuestMemory mem;
    final EventLoop loop;
    final Bus bus = new Bus("mmio");
    final EventFd irqFd = new EventFd(LibC.EFD_NONBLOCK);
    final VirtioMmioDevice transport;
    final long base = VirtioMmioDevice.baseFor(0);

    TestDriver(GuestMemory mem, EventLoop loop, VirtioDevice device) {
        this.mem = mem;
        this.loop = loop;
        InterruptLine line = new InterruptLine() {
            @Override public boolean trigger() { return irqFd.write(1); }
            @Override public int gsi() { return VirtioMmioDevice.irqFor(0); }
            @Override public EventFd eventFd() { return irqFd; }
        };
        this.transport = VirtioMmioDevice.attach(device, mem, bus, base, (addr, len, datamatch, fd) -> {}, line, loop);
    }

    /** A driver that has negotiated every offered feature, set up queue 0 on {@code ring} and set DRIVER_OK. */
    static TestDriver ready(GuestMemory mem, EventLoop loop, VirtioDevice device, TestRing ring) {
        TestDriver d = new TestDriver(mem, loop, device);
        d.negotiate(-1L);
        d.setupQueue(0, ring);
        d.driverOk();
        return d;
    }

    int r(int off) {
        return (int) bus.read(base + off, 4);
    }

    void w(int off, int v) {
        bus.write(base + off, 4, v & 0xFFFF_FFFFL);
    }

    long deviceFeatures() {
        w(REG_DEVICE_FEATURES_SEL, 0);
        long lo = r(REG_DEVICE_FEATURES) & 0xFFFF_FFFFL;
        w(REG_DEVICE_FEATURES_SEL, 1);
        long hi = r(REG_DEVICE_FEATURES) & 0xFFFF_FFFFL;
        return lo | (hi << 32);
    }

    /** Status = 0, then read Status until it is 0, as a driver must before reusing the device (virtio 1.2, 2.4.2). */
    void reset() {
        w(REG_STATUS, 0);
        await(() -> r(REG_STATUS) == 0, "the device reset to complete");
    }

    /** Reset, ACKNOWLEDGE, DRIVER, accept {@code deviceFeatures & mask}, FEATURES_OK. */
    long negotiate(long mask) {
        long f = deviceFeatures() & mask;
        assertTrue(offer(f), "FEATURES_OK accepted");
        return f;
    }

    /** Reset, ACKNOWLEDGE, DRIVER, {@code features} as the driver's, FEATURES_OK: whether the device kept FEATURES_OK. */
    boolean offer(long features) {
        reset();
        w(REG_STATUS, Virtio.STATUS_ACKNOWLEDGE);
        w(REG_STATUS, Virtio.STATUS_ACKNOWLEDGE | Virtio.STATUS_DRIVER);
        w(REG_DRIVER_FEATURES_SEL, 0);
        w(REG_DRIVER_FEATURES, (int) features);
        w(REG_DRIVER_FEATURES_SEL, 1);
        w(REG_DRIVER_FEATURES, (int) (features >>> 32));
        w(REG_STATUS, Virtio.STATUS_ACKNOWLEDGE | Virtio.STATUS_DRIVER | Virtio.STATUS_FEATURES_OK);
        return (r(REG_STATUS) & Virtio.STATUS_FEATURES_OK) != 0;
    }

    void setupQueue(int index, TestRing ring) {
        setupQueue(index, ring.size, ring.desc, ring.avail, ring.used);
    }

    void setupQueue(int index, int size, long desc, long avail, long used) {
        w(REG_QUEUE_SEL, index);
        w(REG_QUEUE_NUM, size);
        w(REG_QUEUE_DESC_LOW, (int) desc);
        w(REG_QUEUE_DESC_HIGH, (int) (desc >>> 32));
        w(REG_QUEUE_DRIVER_LOW, (int) avail);
        w(REG_QUEUE_DRIVER_HIGH, (int) (avail >>> 32));
        w(REG_QUEUE_DEVICE_LOW, (int) used);
        w(REG_QUEUE_DEVICE_HIGH, (int) (used >>> 32));
        w(REG_QUEUE_READY, 1);
    }

    void driverOk() {
        w(REG_STATUS, r(REG_STATUS) | Virtio.STATUS_DRIVER_OK);
    }

    void kick(int queue) {
        w(REG_QUEUE_NOTIFY, queue);
    }

    /** Interrupt edges raised since the last call (reads the irqfd counter). */
    long interrupts() {
        return irqFd.read();
    }

    int ackInterrupts() {
        int s = r(REG_INTERRUPT_STATUS);
        w(REG_INTERRUPT_ACK, s);
        return s;
    }

    /** Runs a no-op through the event loop so everything posted before it has been handled. */
    void sync() {
        java.util.concurrent.CountDownLatch l = new java.util.concurrent.CountDownLatch(1);
        loop.execute(l::countDown);
        try {
            if (!l.await(10, java.util.concurrent.TimeUnit.SECONDS)) {
                fail("event loop did not respond");
            }
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** The transport's snapshot section, written on the event loop as a snapshot does. */
    byte[] saveState() {
        return onLoop(() -> {
            dev.ember.snapshot.StateWriter w = new dev.ember.snapshot.StateWriter();
            transport.saveState(w);
            return w.toByteArray();
        });
    }

    /** Restores a section {@link #saveState} wrote into this (fresh) transport, on the event loop. */
    void restoreState(byte[] state) {
        onLoop(() -> {
            dev.ember.snapshot.StateReader in = new dev.ember.snapshot.StateReader("virtio0", state);
            transport.restoreState(in);
            in.end();
            return null;
        });
    }

    private <T> T onLoop(java.util.function.Supplier<T> task) {
        return onLoop(loop, task);
    }

    /** Runs {@code task} on {@code loop} and returns its result (10 s at most). */
    static <T> T onLoop(EventLoop loop, java.util.function.Supplier<T> task) {
        java.util.concurrent.CompletableFuture<T> f = new java.util.concurrent.CompletableFuture<>();
        loop.execute(() -> {
            try {
                f.complete(task.get());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        try {
            return f.get(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("on the event loop: " + e, e);
        }
    }

    /** Waits (up to 10 s, no timing assertion) for a condition the event loop will make true. */
    static void await(BooleanSupplier cond, String what) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            Thread.onSpinWait();
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Override
    public void close() {
        sync();
        transport.close();
        irqFd.close();
    }
}
