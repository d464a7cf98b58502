package dev.ember.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.ember.sys.NativeMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Console bytes (through a native fd) and log lines (through a PrintStream) into one real file, read back. */
class SharedTerminalTest {
    @TempDir
    Path dir;
    Path file;
    int consoleFd;
    PrintStream log;
    final NativeMemory oneByte = Native.allocate(1);

    @BeforeEach
    void open() throws Exception {
        file = dir.resolve("tty");
        consoleFd = Native.LIBC.open(file.toString(), LibC.O_WRONLY | LibC.O_CREAT | LibC.O_APPEND, 0600);
        log = new PrintStream(new FileOutputStream(file.toFile(), true), false, StandardCharsets.UTF_8);
    }

    @AfterEach
    void close() {
        Native.LIBC.close(consoleFd);
        log.close();
    }

    private void console(SharedTerminal t, String text) {
        for (byte b : text.getBytes(StandardCharsets.US_ASCII)) {
            oneByte.putByte(0, b);
            assertEquals(1, t.writeConsole(consoleFd, oneByte.address(), b));
        }
    }

    private String written() throws Exception {
        return Files.readString(file);
    }

    @Test
    void aLogLineNeverJoinsAnUnfinishedConsoleLine() throws Exception {
        SharedTerminal t = new SharedTerminal(true, true, 0);
        console(t, "Hello from");
        t.writeLog(log, "LOG one\n");
        console(t, " the guest\n");
        t.writeLog(log, "LOG two\n");
        console(t, "login: ");
        assertEquals("Hello from\nLOG one\n the guest\nLOG two\nlogin: ", written());
    }

    @Test
    void aLogLineWaitsForTheConsoleToFinishItsLine() throws Exception {
        SharedTerminal t = new SharedTerminal(true, true, Long.MAX_VALUE / 2); // waits as long as it takes
        console(t, "Hello from");
        Thread logger = new Thread(() -> t.writeLog(log, "LOG\n"));
        logger.start();
        while (logger.getState() != Thread.State.TIMED_WAITING) { // inside the wait, the monitor released
            Thread.onSpinWait();
        }
        console(t, " the guest\n");
        logger.join();
        assertEquals("Hello from the guest\nLOG\n", written());
    }

    @Test
    void onARawTerminalLogLinesEndInCrLfAndStartInColumnZero() throws Exception {
        SharedTerminal t = new SharedTerminal(true, true, 0);
        t.rawMode(0, true);
        console(t, "half");
        t.writeLog(log, "LOG\n");
        console(t, "line\n");
        t.writeLog(log, "LOG2\n");
        t.rawMode(0, false);
        t.writeLog(log, "LOG3\n");
        assertEquals("half\r\n\rLOG\r\nline\n\rLOG2\r\nLOG3\n", written());
    }

    @Test
    void separateFilesAreLeftAlone() throws Exception {
        SharedTerminal t = new SharedTerminal(false, false, 0);
        t.rawMode(0, true); // stdin's terminal is not the log's file: its mode does not matter here
        console(t, "half");
        t.writeLog(log, "LOG\n");
        assertEquals("halfLOG\n", written());
    }
}
