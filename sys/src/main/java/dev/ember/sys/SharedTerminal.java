package dev.ember.sys;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The file the guest's serial console (stdout) and the VMM's log (stderr) share when both are
 * the same terminal or pipe, as when {@code bin/ember} runs in a terminal or under {@code 2>&1}.
 * Console bytes and log lines are written under one lock. A log line that comes while the
 * console's current line is unfinished waits for its end, briefly ({@link #LINE_WAIT_NANOS}: a
 * prompt never ends its line), then goes on a line of its own: the two never mix on one line. While the terminal is raw (no output processing, see {@link Termios}) log lines end in
 * CR LF, or each would start where the previous one ended.
 */
public final class SharedTerminal {
    /** How long a log line waits for the console to finish its line. */
    static final long LINE_WAIT_NANOS = 200_000_000L;
    private static final SharedTerminal STDIO = new SharedTerminal(sameFile(1, 2), sameFile(0, 2), LINE_WAIT_NANOS);

    /** stdout and stderr are one file: console and log lines can meet. */
    private final boolean consoleIsLog;
    /** stdin (the terminal made raw) is stderr's file too. */
    private final boolean inputIsLog;
    private boolean consoleMidLine;
    private boolean raw;

    private final long lineWaitNanos;

    SharedTerminal(boolean consoleIsLog, boolean inputIsLog, long lineWaitNanos) {
        this.consoleIsLog = consoleIsLog;
        this.inputIsLog = inputIsLog;
        this.lineWaitNanos = lineWaitNanos;
    }

    /** The process's stdin, stdout and stderr (looked at once, before seccomp narrows the system calls). */
    public static SharedTerminal stdio() {
        return STDIO;
    }

    /** Writes the console byte {@code b}, held in native memory at {@code address}, to {@code fd}; returns write(2)'s result. */
    public synchronized long writeConsole(int fd, long address, byte b) {
        long rc;
        do {
            rc = Native.LIBC.write(fd, address, 1);
        } while (rc < 0 && Native.errno() == LibC.EINTR);
        if (rc == 1) {
            consoleMidLine = b != '\n';
            if (!consoleMidLine) {
                notifyAll(); // a log line may be waiting for this
            }
        }
        return rc;
    }

    /**
     * Writes one log line (ending in '\n') to {@code log} once the console's line is finished,
     * or after a line break if it is still unfinished after the wait. On a raw terminal it starts with CR too: a guest that ends its lines
     * with a bare LF leaves the cursor mid-row.
     */
    public synchronized void writeLog(PrintStream log, String line) {
        awaitConsoleLineEnd();
        if (consoleIsLog && consoleMidLine) {
            log.print(raw ? "\r\n" : "\n");
            consoleMidLine = false;
        }
        log.print(raw ? "\r" + line.replace("\n", "\r\n") : line);
        log.flush();
    }

    private void awaitConsoleLineEnd() {
        long deadline = System.nanoTime() + lineWaitNanos;
        boolean interrupted = false;
        while (consoleIsLog && consoleMidLine) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            try {
                wait(left / 1_000_000, (int) (left % 1_000_000));
            } catch (InterruptedException e) {
                interrupted = true; // the line is written anyway; the interrupt is kept for the caller
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Told by {@link Termios} when {@code fd} goes raw or back. */
    synchronized void rawMode(int fd, boolean on) {
        if (fd == 0 && inputIsLog) {
            raw = on;
        }
    }

    private static boolean sameFile(int a, int b) {
        try {
            return Files.isSameFile(Path.of("/proc/self/fd/" + a), Path.of("/proc/self/fd/" + b));
        } catch (IOException | SecurityException e) {
            return false; // closed, or no /proc: nothing is shared that we could know of
        }
    }
}
