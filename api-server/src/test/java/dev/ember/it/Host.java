package dev.ember.it;

import java.nio.file.Files;
import java.nio.file.Path;

/** What kind of KVM this host has: tests adapt to PVM (software) versus hardware KVM. */
public final class Host {
    private Host() {}

    public static boolean hasKvm() {
        return Files.isReadable(Path.of("/dev/kvm")) && Files.isWritable(Path.of("/dev/kvm"));
    }

    /** PVM is detected by its module, never by timing. */
    public static boolean isPvm() {
        return Files.isDirectory(Path.of("/sys/module/kvm_pvm"));
    }

    public static boolean slowTestsEnabled() {
        return Boolean.parseBoolean(System.getProperty("ember.slow", "false"));
    }
}
