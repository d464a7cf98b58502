package dev.ember.testing;

/** JUnit tag names shared by more than one module's tests (a tag is a string; one spelling of each). */
public final class TestTags {
    /**
     * Tests that need a usable /dev/kvm and skip themselves without one. On such a host the nested
     * tier's L1, which has a KVM of its own, selects them by this tag and runs them instead
     * (NestedTierIT in the jailer module; docs/testing.md).
     */
    public static final String NEEDS_KVM = "needs-kvm";

    private TestTags() {}
}
