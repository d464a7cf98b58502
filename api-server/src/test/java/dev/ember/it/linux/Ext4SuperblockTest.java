package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The superblock reader against e2fsprogs: images made by mkfs.ext4, fields set by tune2fs, read by dumpe2fs. */
class Ext4SuperblockTest {
    @TempDir
    Path dir;

    private static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + "\n" + out);
        return out;
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    private Path image(String name) throws Exception {
        assumeTrue(onPath("mkfs.ext4") && onPath("tune2fs") && onPath("dumpe2fs"),
                "e2fsprogs (mkfs.ext4, tune2fs, dumpe2fs) not installed: apt-get install e2fsprogs");
        Path img = dir.resolve(name);
        run("mkfs.ext4", "-q", "-F", img.toString(), "8M");
        return img;
    }

    private static int dumpe2fsMountCount(Path img) throws Exception {
        Matcher m = Pattern.compile("(?m)^Mount count:\\s+(\\d+)$").matcher(run("dumpe2fs", "-h", img.toString()));
        assertTrue(m.find(), "dumpe2fs prints the mount count");
        return Integer.parseInt(m.group(1));
    }

    @Test
    void mountCountMatchesDumpe2fsAfterTune2fsSetsIt() throws Exception {
        Path img = image("a.ext4");
        List<Integer> seen = new ArrayList<>();
        for (int count : new int[] {0, 7, 300, 16000}) {
            run("tune2fs", "-C", Integer.toString(count), img.toString());
            int read = Ext4Superblock.read(img).mountCount();
            assertEquals(dumpe2fsMountCount(img), read);
            seen.add(read);
        }
        assertEquals(List.of(0, 7, 300, 16000), seen);
    }

    @Test
    void somethingElseIsRejectedByItsMagic() throws Exception {
        Path f = dir.resolve("zeros.img");
        Files.write(f, new byte[4096]);
        IOException e = assertThrows(IOException.class, () -> Ext4Superblock.read(f));
        assertTrue(e.getMessage().contains("no ext4 superblock"), e.getMessage());
        Path tiny = dir.resolve("tiny.img");
        Files.write(tiny, new byte[1500]);
        assertTrue(assertThrows(IOException.class, () -> Ext4Superblock.read(tiny)).getMessage().contains("too short"));
    }
}
