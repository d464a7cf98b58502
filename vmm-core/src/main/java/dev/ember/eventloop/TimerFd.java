package dev.ember.eventloop;

import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import dev.ember.sys.NativeMemory;

/** A monotonic timerfd for the event loop (rate-limiter refills, metrics flushes). */
public final class TimerFd implements AutoCloseable {
    private final int fd;
    private final NativeMemory spec = Native.allocate(32); // struct itimerspec: interval, value
    private final NativeMemory buf = Native.allocate(8);

    public TimerFd() {
        this.fd = Native.check(Native.LIBC.timerfd_create(LibC.CLOCK_MONOTONIC, LibC.TFD_NONBLOCK | LibC.TFD_CLOEXEC),
                "timerfd_create");
    }

    public int fd() {
        return fd;
    }

    /** Arms a one-shot expiry after {@code delayNanos} (0 disarms), repeating every {@code periodNanos} if > 0. */
    public void arm(long delayNanos, long periodNanos) {
        spec.putLong(0, periodNanos / 1_000_000_000L);
        spec.putLong(8, periodNanos % 1_000_000_000L);
        spec.putLong(16, delayNanos / 1_000_000_000L);
        spec.putLong(24, delayNanos % 1_000_000_000L);
        Native.check(Native.LIBC.timerfd_settime(fd, 0, spec.address(), 0), "timerfd_settime");
    }

    public void disarm() {
        arm(0, 0);
    }

    /** Consumes the expiry count; 0 if the timer had not fired. */
    public long read() {
        long rc = Native.LIBC.read(fd, buf.address(), 8);
        return rc == 8 ? buf.getLong(0) : 0;
    }

    @Override
    public void close() {
        Native.LIBC.close(fd);
    }
}
