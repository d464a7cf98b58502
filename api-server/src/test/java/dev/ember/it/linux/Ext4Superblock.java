package dev.ember.it.linux;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The fields the tests read from an ext4 image's primary superblock: 1024 bytes at byte 1024,
 * little-endian (struct ext4_super_block in the kernel's fs/ext4/ext4.h).
 */
record Ext4Superblock(int mountCount) {
    static final int OFFSET = 1024;
    static final int S_MNT_COUNT = 0x34;
    static final int S_MAGIC = 0x38;
    static final int EXT4_SUPER_MAGIC = 0xEF53;

    static Ext4Superblock read(Path image) throws IOException {
        ByteBuffer sb = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            while (sb.hasRemaining()) {
                if (ch.read(sb, OFFSET + sb.position()) < 0) {
                    throw new IOException(image + " is too short for an ext4 superblock");
                }
            }
        }
        int magic = Short.toUnsignedInt(sb.getShort(S_MAGIC));
        if (magic != EXT4_SUPER_MAGIC) {
            throw new IOException(image + " has no ext4 superblock (magic 0x" + Integer.toHexString(magic) + ")");
        }
        return new Ext4Superblock(Short.toUnsignedInt(sb.getShort(S_MNT_COUNT)));
    }
}
