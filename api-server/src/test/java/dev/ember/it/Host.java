package dev.ember.it;

import java.nio.file.Files;
import java.nio.file.Path;

/** What kind of KVM this host has: tests adapt to PVM (software) versus hardware KVM. */
public final class Host {
    private Host() {}

    public static boolean hasKvm() {
        return Files.isReadable(Path.of("/dev/kvm")) && Files.isWritable(Path.of("/dev/kvm"));
    }

    /**
     * Why a KVM test skips here: the report's skip reason. A kvm_pvm module without /dev/kvm is a
     * host kernel that is itself a PVM guest ("kvm-pvm: this kernel is itself a kvm-pvm guest; not
     * binding" in its log): its guest-user-space tests and the core test guests still run in the
     * nested tier, whose L1 is QEMU/TCG.
     */
    public static String noKvmReason() {
        if (!Files.exists(Path.of("/dev/kvm"))) {
            return (isPvm() ? "no /dev/kvm on this host: kvm_pvm is loaded but did not bind (a kernel that is itself a PVM guest;"
                    + " see its log)" : "no /dev/kvm on this host (no KVM module loaded, or no virtualisation support)")
                    + "; bin/test runs the guest-user-space tests and the core test guests in the nested tier's L1 instead"
                    + " (NestedTierIT; all test guests with -Dember.nestedKvmClasses='^.*IT$')";
        }
        return "/dev/kvm is not readable and writable by this user; give it access (e.g. the kvm group)";
    }

    /** PVM is detected by its module, never by timing. */
    public static boolean isPvm() {
        return Files.isDirectory(Path.of("/sys/module/kvm_pvm"));
    }

    public static boolean slowTestsEnabled() {
        return Boolean.parseBoolean(System.getProperty("ember.slow", "false"));
    }
}
