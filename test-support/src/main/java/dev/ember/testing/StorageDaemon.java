package dev.ember.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code qemu-storage-daemon} exporting one image file as a vhost-user-blk back-end on a Unix
 * socket: a real back-end for the tests of Ember's vhost-user front-end (Debian's qemu-utils;
 * bin/lib/common.sh installs it). {@link #start} returns once the socket exists; the daemon's
 * output goes to {@code <socket>.log}, which a failure to start quotes.
 */
public final class StorageDaemon implements AutoCloseable {
    public static final Path BINARY = Path.of("/usr/bin/qemu-storage-daemon");

    private final Process process;
    private final Path socket;
    private final Path log;

    private StorageDaemon(Process process, Path socket, Path log) {
        this.process = process;
        this.socket = socket;
        this.log = log;
    }

    /** Starts the daemon exporting {@code image} (raw) on {@code socket}, writable or read-only. */
    public static StorageDaemon start(Path image, Path socket, boolean writable) throws IOException, InterruptedException {
        if (!Files.isExecutable(BINARY)) {
            throw new IllegalStateException(BINARY + " is missing: install Debian's qemu-utils (bin/lib/common.sh does)");
        }
        Path log = socket.resolveSibling(socket.getFileName() + ".log");
        Process p = new ProcessBuilder(List.of(BINARY.toString(),
                "--blockdev", "driver=file,node-name=file0,filename=" + image,
                "--export", "type=vhost-user-blk,id=export0,node-name=file0,addr.type=unix,addr.path=" + socket
                        + ",writable=" + (writable ? "on" : "off")))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        StorageDaemon daemon = new StorageDaemon(p, socket, log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.exists(socket)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                daemon.close();
                throw new IllegalStateException("qemu-storage-daemon did not create " + socket + " (exit "
                        + (p.isAlive() ? "none, still running" : p.exitValue()) + "): "
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
            Thread.sleep(20);
        }
        return daemon;
    }

    /** A raw image of {@code size} bytes (sparse) holding {@code bytes} at {@code offset}: what a test exports. */
    public static Path rawImage(Path image, long size, long offset, byte[] bytes) throws IOException {
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(size);
            f.seek(offset);
            f.write(bytes);
        }
        return image;
    }

    /** {@code length} bytes at {@code offset} of {@code image}, as the host's page cache has them. */
    public static byte[] read(Path image, long offset, int length) throws IOException {
        byte[] b = new byte[length];
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(image.toFile(), "r")) {
            f.seek(offset);
            f.readFully(b);
        }
        return b;
    }

    public Path socket() {
        return socket;
    }

    public Process process() {
        return process;
    }

    /** What the daemon printed so far (for failure messages). */
    public String output() throws IOException {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
