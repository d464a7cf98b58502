package dev.ember.seccomp;

import java.util.List;

/**
 * A seccomp filter in the shape of Firecracker's seccompiler input: calls that match one of
 * {@code rules} get {@code matchAction} (normally allow), every other call gets
 * {@code defaultAction}. Ember installs one such filter for the whole process (see
 * docs/seccomp.md for why not one per thread category).
 */
public record SeccompFilter(SeccompAction defaultAction, SeccompAction matchAction, List<SyscallRule> rules) {
    public SeccompFilter {
        if (defaultAction == null || matchAction == null) {
            throw new SeccompFilterException("a seccomp filter needs default_action and filter_action");
        }
        rules = List.copyOf(rules);
    }
}
