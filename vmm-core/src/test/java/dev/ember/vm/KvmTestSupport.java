package dev.ember.vm;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.kvm.Kvm;

/** Tests that need /dev/kvm skip (counted by JUnit, reason printed) only when it is absent. */
final class KvmTestSupport {
    private KvmTestSupport() {}

    static void requireKvm() {
        if (!Kvm.available()) {
            System.out.println("SKIPPED: " + Kvm.DEVICE + " is absent on this machine");
        }
        assumeTrue(Kvm.available(), Kvm.DEVICE + " is absent");
    }
}
