package dev.ember.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class SyscallTableTest {
    @Test
    void everyCallInTheInstalledHeadersHasTheSameNumber() throws Exception {
        // The preprocessor's list of macros is the header's own truth, including computed ones.
        Process p = new ProcessBuilder("gcc", "-E", "-dM", "-x", "c", "-").redirectErrorStream(true).start();
        p.getOutputStream().write("#include <asm/unistd_64.h>\n".getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertEquals(0, p.waitFor(), out);
        Map<String, Integer> headers = new HashMap<>();
        Matcher m = Pattern.compile("#define __NR_(\\w+) (\\d+)").matcher(out);
        while (m.find()) {
            headers.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        assertTrue(headers.size() > 300, "too few system calls in the headers: " + headers.size());
        headers.forEach((name, nr) -> assertEquals(nr, SyscallTable.number(name), name));
    }

    @Test
    void unknownNamesAreRefusedWithTheName() {
        SeccompFilterException e = assertThrows(SeccompFilterException.class, () -> SyscallTable.number("opne"));
        assertTrue(e.getMessage().contains("\"opne\""), e.getMessage());
    }
}
