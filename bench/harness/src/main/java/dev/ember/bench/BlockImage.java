package dev.ember.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The drive image of a blk-bench run: a fresh sparse file, and afterwards the check that every
 * 4 KiB block carries the stamp the guest wrote (u64 block number, u32 0x424d4245, u32
 * generation 1 from the sequential pass or 2 from the random writes), so a figure is only
 * reported for data that really reached the file.
 */
final class BlockImage {
    static final int BLOCK = 4096;
    static final int MAGIC = 0x424d4245;

    private BlockImage() {}

    static Path create(Path file, long bytes) throws IOException {
        Files.deleteIfExists(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.truncate(0);
            ch.position(bytes - 1);
            ch.write(ByteBuffer.wrap(new byte[1]));
        }
        return file;
    }

    /** Checks every block's stamp; returns how many carry generation 2, or throws naming the first bad block. */
    static long verify(Path file) throws IOException {
        long rewritten = 0;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long blocks = ch.size() / BLOCK;
            ByteBuffer b = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            long block = 0;
            while (block < blocks) {
                b.clear();
                while (b.hasRemaining() && ch.read(b, block * BLOCK + b.position()) > 0) {
                    // fill the buffer (a read may return less)
                }
                b.flip();
                for (int at = 0; at + BLOCK <= b.limit(); at += BLOCK, block++) {
                    long n = b.getLong(at);
                    int magic = b.getInt(at + 8);
                    int gen = b.getInt(at + 12);
                    if (n != block || magic != MAGIC || (gen != 1 && gen != 2)) {
                        throw new IOException("image " + file.getFileName() + ": block " + block + " holds stamp block " + n
                                + " magic 0x" + Integer.toHexString(magic) + " generation " + gen);
                    }
                    rewritten += gen == 2 ? 1 : 0;
                }
                if (b.limit() < BLOCK) {
                    throw new IOException("image " + file.getFileName() + ": short read at block " + block);
                }
            }
        }
        return rewritten;
    }
}
