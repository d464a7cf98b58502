package dev.ember.config;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** What configuration tests point their paths at: a temporary directory holding a kernel file and a disk image. */
public abstract class HostFiles {
    @TempDir
    protected Path dir;
    protected Path kernel;
    protected Path disk;

    @BeforeEach
    protected void createKernelAndDisk() throws Exception {
        kernel = Files.writeString(dir.resolve("vmlinux"), "kernel");
        disk = Files.writeString(dir.resolve("rootfs.ext4"), "disk");
    }
}
