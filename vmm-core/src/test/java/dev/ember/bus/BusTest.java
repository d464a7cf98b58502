package dev.ember.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class BusTest {
    /**
     * Several vCPU threads probe empty ports at once: every access is counted (a plain
     * {@code long++} lost most of them when the threads ran in parallel).
     */
    @Test
    void unhandledAccessesFromManyThreadsAreAllCounted() throws Exception {
        Bus bus = new Bus("pio");
        bus.register(0x3f8, 8, new WritePort(v -> { }));
        int threads = 4;
        int perThread = 5_000_000;
        CountDownLatch ready = new CountDownLatch(threads);
        AtomicBoolean go = new AtomicBoolean();
        List<Thread> vcpus = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                ready.countDown();
                while (!go.get()) {
                    Thread.onSpinWait(); // all threads on a CPU when the race starts
                }
                for (int i = 0; i < perThread; i++) {
                    if (i % 2 == 0) {
                        bus.read(0x80, 1);
                    } else {
                        assertFalse(bus.write(0x80, 1, 0));
                    }
                }
            }, "vcpu" + t);
            th.start();
            vcpus.add(th);
        }
        ready.await();
        go.set(true);
        for (Thread th : vcpus) {
            th.join();
        }
        assertEquals((long) threads * perThread, bus.unhandledAccesses());
        bus.read(0x3f8, 1);
        assertEquals((long) threads * perThread, bus.unhandledAccesses(), "a claimed address is not counted");
    }
}
