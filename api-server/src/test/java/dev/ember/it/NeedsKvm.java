package dev.ember.it;

import dev.ember.testing.TestTags;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A test class (or method) that boots a guest through the real {@code bin/ember}: skipped, with
 * the reason in the report, on a host without a usable {@code /dev/kvm}. Such a host runs them in
 * the nested tier's L1 instead (NestedTierIT.KVM_CLASSES; the tag {@link #TAG} selects them there,
 * as it does the in-process KVM tests of vmm-core, which carry the tag alone).
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(NeedsKvm.Condition.class)
@Tag(TestTags.NEEDS_KVM)
public @interface NeedsKvm {
    String TAG = TestTags.NEEDS_KVM;

    /** Checked before the class's (or method's) set-up runs. */
    final class Condition implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            return Host.hasKvm()
                    ? ConditionEvaluationResult.enabled("/dev/kvm is usable")
                    : ConditionEvaluationResult.disabled(Host.noKvmReason());
        }
    }
}
