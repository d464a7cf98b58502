package dev.ember.devices.legacy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the guest reads from the UART, and what ends the VM, for keys typed through the escape. */
class ConsoleEscapeTest {
    private static final int DATA = 0, LSR = 5, CTRL_A = 0x01;

    @TempDir
    Path dir;
    final List<String> exits = new ArrayList<>();

    private byte[] typeAndRead(String keys) throws Exception {
        int fd = Native.check(Native.LIBC.open(dir.resolve("out").toString(), LibC.O_WRONLY | LibC.O_CREAT | LibC.O_CLOEXEC, 0644), "open");
        try (EventFdLine irq = new EventFdLine()) {
            Serial8250 uart = new Serial8250(irq, fd);
            ConsoleEscape escape = new ConsoleEscape(CTRL_A, (code, reason) -> exits.add(code + " " + reason));
            for (char c : keys.toCharArray()) {
                escape.typed((byte) c, uart);
            }
            ByteArrayOutputStream guestGot = new ByteArrayOutputStream();
            while ((uart.read(LSR, 1) & 0x01) != 0) {
                guestGot.write((int) uart.read(DATA, 1));
            }
            return guestGot.toByteArray();
        } finally {
            Native.LIBC.close(fd);
        }
    }

    /** Types {@code keys}: the guest reads {@code guestGets} from the UART, and the VM is asked to end as {@code exitRequests} say. */
    private void typing(String keys, String guestGets, String... exitRequests) throws Exception {
        assertEquals(guestGets, new String(typeAndRead(keys), StandardCharsets.ISO_8859_1), "what the guest reads");
        assertEquals(List.of(exitRequests), exits, "the VM's exit requests");
    }

    @Test
    void ordinaryKeysPassUnchanged() throws Exception {
        typing("ls -l\r\u0003", "ls -l\r\u0003");
    }

    @Test
    void escapeThenXEndsTheVmWithExitZeroAndTheGuestGetsNothingOfIt() throws Exception {
        typing("ab\u0001x", "ab", "0 console escape Ctrl-A x typed");
    }

    @Test
    void escapeTwiceSendsItOnce() throws Exception {
        typing("\u0001\u0001a", "\u0001a");
    }

    @Test
    void escapeThenAnotherKeySendsBoth() throws Exception {
        typing("\u0001c\u0001\u0001", "\u0001c\u0001"); // the escape after a pair starts afresh
    }

    @Test
    void theKeyIsNamedAsAUserTypesIt() {
        assertEquals("Ctrl-A", ConsoleEscape.describe(0x01));
        assertEquals("Ctrl-]", ConsoleEscape.describe(0x1d));
    }
}
