package dev.ember.seccomp;

import java.util.List;

/**
 * A rule that matches one system call when all its argument conditions hold (none: always).
 * Several rules for the same call are alternatives (OR), tried in order. {@code action}, when not
 * null, replaces the filter's match action for this rule (an Ember extension of Firecracker's
 * format, used e.g. to answer clone3 with ENOSYS so that glibc falls back to clone, whose flags
 * a filter can inspect).
 */
public record SyscallRule(String name, int number, List<ArgCondition> conditions, SeccompAction action) {
    public SyscallRule(String name, int number, List<ArgCondition> conditions) {
        this(name, number, conditions, null);
    }

    public SyscallRule {
        conditions = List.copyOf(conditions);
        if (number < 0) {
            throw new SeccompFilterException("system call " + name + " has no number");
        }
    }

    /** A rule for the x86_64 system call called {@code name}, resolved through {@link SyscallTable}. */
    public static SyscallRule of(String name, ArgCondition... conditions) {
        return new SyscallRule(name, SyscallTable.number(name), List.of(conditions));
    }

    /** This rule with its own action instead of the filter's. */
    public SyscallRule withAction(SeccompAction a) {
        return new SyscallRule(name, number, conditions, a);
    }
}
