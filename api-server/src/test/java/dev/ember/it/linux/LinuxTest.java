package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.api.UnixHttpClient;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** Base of the Linux guest tests: a scratch directory, and skipped unless slow tests run on KVM. */
abstract class LinuxTest {
    @TempDir
    Path dir;

    @BeforeEach
    void slowTestsOnKvm() {
        LinuxTests.assumeSlowTestsOnKvm();
    }

    /** Fails naming {@code what} and the answer's body unless the API answered {@code status}. */
    static void expect(int status, UnixHttpClient.Response r, String what) {
        assertEquals(status, r.status(), what + ": " + r.body());
    }

    /**
     * PUT /boot-source: the microVM kernel and the initramfs, {@link LinuxImages#BASE_CMDLINE}
     * plus {@code extraArgs} (quotes and backslashes escaped for the JSON body).
     */
    static void putBootSource(UnixHttpClient http, String extraArgs) throws java.io.IOException {
        expect(204, http.put("/boot-source", "{\"kernel_image_path\": \"" + LinuxImages.vmlinux() + "\", \"initrd_path\": \""
                + LinuxImages.initramfs() + "\", \"boot_args\": \"" + (LinuxImages.BASE_CMDLINE + extraArgs).replace("\\", "\\\\")
                        .replace("\"", "\\\"") + "\"}"), "boot-source");
    }

    /** Tests that need the guest's user space: skipped where it cannot run (PVM; the nested tier runs them). */
    abstract static class UserSpace extends LinuxTest {
        @BeforeEach
        void guestUserSpaceRuns() {
            LinuxTests.assumeGuestUserSpaceRuns();
        }
    }
}
