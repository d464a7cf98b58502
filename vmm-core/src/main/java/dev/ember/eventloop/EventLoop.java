package dev.ember.eventloop;

import dev.ember.metrics.Counter;
import dev.ember.metrics.FirecrackerMetrics;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import dev.ember.sys.NativeException;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import dev.ember.sys.NativeMemory;

/**
 * The VMM event loop: one thread blocked in epoll_wait serving device eventfds (ioeventfd
 * kicks), TAP fds, timerfds and tasks posted from other threads (the API server).
 *
 * <p>Registration from other threads is allowed (epoll_ctl is thread-safe); handlers run only
 * on the loop thread. The dispatch loop allocates nothing.
 */
public final class EventLoop implements AutoCloseable {
    private static final int EPOLL_EVENT_SIZE = 12; // packed on x86_64: u32 events, u64 data
    private static final int MAX_EVENTS = 64;

    private final int epfd;
    private final NativeMemory events = Native.allocate(EPOLL_EVENT_SIZE * MAX_EVENTS);
    private final NativeMemory ctlEvent = Native.allocate(EPOLL_EVENT_SIZE);
    private volatile EventHandler[] handlers = new EventHandler[16];
    private final EventFd wakeup = EventFd.nonBlocking();
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private volatile boolean running;
    private volatile Thread thread;
    /** Told when a handler throws: the loop has stopped (see {@link #start(String, Consumer)}). */
    private volatile Consumer<Throwable> onFailure;

    public EventLoop() {
        this.epfd = Native.check(Native.LIBC.epoll_create1(LibC.EPOLL_CLOEXEC), "epoll_create1");
        register(wakeup.fd(), LibC.EPOLLIN, ev -> {
            wakeup.read();
            Runnable r;
            while ((r = tasks.poll()) != null) {
                r.run();
            }
        });
    }

    /** Adds {@code fd} with the given epoll mask; the fd number is the registration key. */
    public synchronized void register(int fd, int eventMask, EventHandler handler) {
        EventHandler[] h = handlers;
        if (fd >= h.length) {
            h = Arrays.copyOf(h, Math.max(fd + 1, h.length * 2));
        }
        if (h[fd] != null) {
            throw new IllegalStateException("fd " + fd + " is already registered with the event loop");
        }
        h[fd] = handler;
        handlers = h;
        ctl(LibC.EPOLL_CTL_ADD, fd, eventMask);
    }

    public synchronized void modify(int fd, int eventMask) {
        ctl(LibC.EPOLL_CTL_MOD, fd, eventMask);
    }

    public synchronized void unregister(int fd) {
        EventHandler[] h = handlers;
        if (fd < h.length && h[fd] != null) {
            Native.LIBC.epoll_ctl(epfd, LibC.EPOLL_CTL_DEL, fd, 0);
            h[fd] = null;
        }
    }

    private void ctl(int op, int fd, int mask) {
        ctlEvent.putInt(0, mask);
        ctlEvent.putLong(4, fd);
        if (Native.LIBC.epoll_ctl(epfd, op, fd, ctlEvent.address()) < 0) {
            throw new NativeException("epoll_ctl(fd " + fd + ")", Native.errno());
        }
    }

    /** Runs {@code task} on the loop thread (immediately if called from it). */
    public void execute(Runnable task) {
        if (Thread.currentThread() == thread) {
            task.run();
            return;
        }
        tasks.add(task);
        wakeup.write(1);
    }

    public boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /**
     * True on the loop's thread, and on any thread before the loop is started (the thread that
     * builds the machine owns its loop-confined parts until then). See {@link ThreadConfinement}.
     */
    public boolean ownsCurrentThread() {
        Thread t = thread;
        return t == null || t == Thread.currentThread();
    }

    /** The loop thread's name, or "not started". */
    public String threadName() {
        Thread t = thread;
        return t == null ? "not started" : t.getName();
    }

    /** Starts the loop on a new platform thread with the given name. */
    public Thread start(String threadName) {
        return start(threadName, null);
    }

    /**
     * Starts the loop; {@code onFailure} (on the loop's thread) hears of a handler that threw,
     * after which the loop serves nothing more. Without it the exception ends the thread
     * silently and every device it served goes quiet while the guest runs on: the VMM passes a
     * handler that ends the VM.
     */
    public Thread start(String threadName, Consumer<Throwable> onFailure) {
        this.onFailure = onFailure;
        running = true;
        Thread t = new Thread(this::run, threadName);
        t.setDaemon(true);
        thread = t;
        t.start();
        return t;
    }

    /** Kata's vmm.device_events (older Firecracker's name): every event the loop handed to a handler. */
    private static final Counter DEVICE_EVENTS = FirecrackerMetrics.VMM.declare().counter("device_events");

    private void run() {
        try {
            serve();
        } catch (Throwable t) {
            running = false;
            Consumer<Throwable> failed = onFailure;
            if (failed == null) {
                throw t;
            }
            failed.accept(t);
        }
    }

    private void serve() {
        while (running) {
            int n = Native.LIBC.epoll_wait(epfd, events.address(), MAX_EVENTS, -1);
            if (n < 0) {
                if (Native.errno() == LibC.EINTR) {
                    continue;
                }
                throw new NativeException("epoll_wait", Native.errno());
            }
            EventHandler[] h = handlers;
            for (int i = 0; i < n; i++) {
                int mask = events.getInt((long) i * EPOLL_EVENT_SIZE);
                int fd = (int) events.getLong((long) i * EPOLL_EVENT_SIZE + 4);
                EventHandler handler = fd < h.length ? h[fd] : null;
                if (handler != null) {
                    DEVICE_EVENTS.inc();
                    handler.onEvent(mask);
                }
            }
        }
    }

    /** Stops the loop after the current iteration and waits for the thread to end. */
    public void stop() {
        running = false;
        wakeup.write(1);
        Thread t = thread;
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        stop();
        Native.LIBC.close(epfd);
        wakeup.close();
    }
}
