package dev.ember.it.linux;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * A Linux test that needs the guest's user space (init, a shell, busybox tools). PVM cannot run
 * guest user space, so where /dev/kvm is PVM {@code bin/test} leaves these out of the host's run
 * and {@link NestedTierIT} runs them under nested real KVM instead; on hardware KVM they run
 * directly. docs/testing.md describes the tiers.
 */
@Target({ElementType.METHOD, ElementType.TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Tag(GuestUserSpace.TAG)
public @interface GuestUserSpace {
    String TAG = "guest-user-space";
}
