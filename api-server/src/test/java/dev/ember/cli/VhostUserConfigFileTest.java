package dev.ember.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.app.KvmMicroVm;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A config file's vhost-user drive is connected when the file's drives are put, before the start
 * (as Firecracker does): a socket nobody serves stops Ember with Firecracker's text after the
 * file's name, as Ember's config errors say it, without needing KVM.
 */
class VhostUserConfigFileTest {
    @TempDir
    Path dir;
    private final PrintStream realErr = System.err;
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @AfterEach
    void tearDown() {
        System.setErr(realErr);
        dev.ember.logging.Logging.init("test");
    }

    @Test
    void aDriveSocketNobodyServesFailsTheConfigFileNamingIt() throws Exception {
        Path kernel = Files.writeString(dir.resolve("vmlinux"), "k");
        Path socket = dir.resolve("missing.sock");
        Path cfg = Files.writeString(dir.resolve("vm.json"), "{\"boot-source\": {\"kernel_image_path\": \"" + kernel + "\"},"
                + " \"drives\": [{\"drive_id\": \"vu\", \"is_root_device\": false, \"socket\": \"" + socket + "\"}]}");
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int code = Main.run(new String[] {"--no-api", "--no-seccomp", "--config-file", cfg.toString()}, new Main(KvmMicroVm::new, false));
        String stderr = err.toString(StandardCharsets.UTF_8);
        assertEquals(152, code, stderr);
        assertTrue(stderr.contains("config file " + cfg + ": Unable to create the virtio block device: Vhost user backend error:"
                + " Vhost-user error: Failed to connect to UDS Unix stream: No such file or directory (os error 2) (drive \"vu\","
                + " socket " + socket + "); is the back-end running and listening there?"), stderr);
    }
}
