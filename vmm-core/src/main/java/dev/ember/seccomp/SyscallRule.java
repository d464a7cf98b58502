package dev.ember.seccomp;

import java.util.List;

/**
 * A rule that matches one system call when all its argument conditions hold (none: always).
 * Several rules for the same call are alternatives (OR).
 */
public record SyscallRule(String name, int number, List<ArgCondition> conditions) {
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
}
