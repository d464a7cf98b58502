package dev.ember.config;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** What configuration tests point their paths at: a temporary directory holding a kernel file and a disk image. */
abstract class HostFiles {
    @TempDir
    Path dir;
    Path kernel;
    Path disk;

    @BeforeEach
    void createKernelAndDisk() throws Exception {
        kernel = Files.writeString(dir.resolve("vmlinux"), "kernel");
        disk = Files.writeString(dir.resolve("rootfs.ext4"), "disk");
    }
}
