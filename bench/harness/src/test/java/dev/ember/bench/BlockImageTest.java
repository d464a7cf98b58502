package dev.ember.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlockImageTest {
    @TempDir
    Path dir;

    /** Writes the guest's stamp into every block, generation 2 for the blocks in {@code gen2}. */
    private static void stampAll(Path img, int blocks, int... gen2) throws IOException {
        try (FileChannel ch = FileChannel.open(img, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < blocks; i++) {
                int gen = 1;
                for (int g : gen2) {
                    gen = g == i ? 2 : gen;
                }
                b.clear();
                b.putLong(i).putInt(BlockImage.MAGIC).putInt(gen).flip();
                ch.write(b, (long) i * BlockImage.BLOCK);
            }
        }
    }

    @Test
    void createMakesASparseFileOfTheSize() throws IOException {
        Path img = BlockImage.create(dir.resolve("a.img"), 3 << 20);
        assertEquals(3 << 20, Files.size(img));
    }

    @Test
    void verifyCountsRewrittenBlocks() throws IOException {
        int blocks = 600; // more than one 1 MiB read buffer
        Path img = BlockImage.create(dir.resolve("b.img"), (long) blocks * BlockImage.BLOCK);
        stampAll(img, blocks, 3, 599);
        assertEquals(2, BlockImage.verify(img));
    }

    @Test
    void verifyNamesTheFirstBlockWithoutItsStamp() throws IOException {
        int blocks = 300;
        Path img = BlockImage.create(dir.resolve("c.img"), (long) blocks * BlockImage.BLOCK);
        stampAll(img, 257);
        IOException e = assertThrows(IOException.class, () -> BlockImage.verify(img));
        assertTrue(e.getMessage().contains("block 257 holds stamp block 0 magic 0x0 generation 0"), e.getMessage());
    }
}
