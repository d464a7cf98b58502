package dev.ember.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TermiosLayoutTest {
    @TempDir
    Path dir;

    @Test
    void termiosSizeMatchesTheCHeaders() throws Exception {
        Path src = dir.resolve("t.c");
        Files.writeString(src, "#include <termios.h>\n#include <stdio.h>\nint main(void){printf(\"%zu\\n\", sizeof(struct termios));return 0;}\n");
        Path exe = dir.resolve("t");
        Process cc = new ProcessBuilder("gcc", "-o", exe.toString(), src.toString()).redirectErrorStream(true).start();
        String ccOut = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, cc.waitFor(), ccOut);
        Process run = new ProcessBuilder(exe.toString()).start();
        String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        run.waitFor(10, TimeUnit.SECONDS);
        assertEquals(Termios.SIZE, Integer.parseInt(out));
    }

    @Test
    void makeRawReturnsNullForSomethingThatIsNotATerminal() {
        int fd = Native.check(Native.LIBC.open("/dev/null", LibC.O_RDONLY, 0), "open /dev/null");
        try {
            assertEquals(null, Termios.makeRaw(fd));
        } finally {
            Native.LIBC.close(fd);
        }
    }
}
