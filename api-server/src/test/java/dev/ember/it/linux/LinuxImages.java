package dev.ember.it.linux;

import dev.ember.it.EmberProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Linux guest images that {@code guest-images/build} links into {@code guest-images/out/},
 * and the kernel command lines the tests boot them with (guest-images/README.md explains both).
 */
final class LinuxImages {
    /** Firecracker's usual guest command line: 8250 console, reset through the i8042 on reboot and panic. */
    static final String BASE_CMDLINE = "console=ttyS0 reboot=k panic=1";

    private LinuxImages() {}

    static Path out() {
        return EmberProcess.repo().resolve("guest-images/out");
    }

    /** The microVM kernel (ELF). */
    static Path vmlinux() {
        return built("vmlinux");
    }

    /** The PVM-profile kernel (ELF): boots on PVM's emulator, and anywhere else. */
    static Path pvmVmlinux() {
        return built("pvm-vmlinux");
    }

    /** busybox + /init as an uncompressed cpio archive. */
    static Path initramfs() {
        return built("initramfs.cpio");
    }

    /** A private copy of the ext4 root image in {@code dir}: booting writes to it. */
    static Path rootfsCopy(Path dir) throws IOException {
        Path copy = dir.resolve("rootfs.ext4");
        Files.copy(built("rootfs.ext4"), copy);
        return copy;
    }

    /** {@link #BASE_CMDLINE} plus what the PVM profile needs (guest-images/kernel/pvm.cmdline). */
    static String pvmCmdline() {
        Path f = EmberProcess.repo().resolve("guest-images/kernel/pvm.cmdline");
        try {
            return BASE_CMDLINE + " " + Files.readString(f).trim();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f, e);
        }
    }

    /**
     * A missing image is a missing build step, not something this host cannot do: it fails
     * (with the fix) rather than skips.
     */
    private static Path built(String name) {
        Path p = out().resolve(name);
        if (!Files.isRegularFile(p)) {
            throw new AssertionError(p + " is missing: run guest-images/build (bin/test runs it before the slow tests)");
        }
        return p.toAbsolutePath().normalize();
    }
}
