package dev.ember.seccomp;

/**
 * One condition on a system call argument, as in Firecracker's seccompiler: argument
 * {@code index} (0..5), read as a {@code DWORD} (low 32 bits only: an {@code int} parameter, whose
 * upper half the kernel ignores) or a {@code QWORD} (all 64 bits, compared as two 32-bit halves
 * because classic BPF is 32-bit), compared unsigned with {@code value} by {@code op}. For
 * {@link Op#MASKED_EQ} the argument is first ANDed with {@code mask}.
 */
public record ArgCondition(int index, Width width, Op op, long value, long mask) {
    public enum Width { DWORD, QWORD }

    public enum Op { EQ, NE, LT, LE, GT, GE, MASKED_EQ }

    public ArgCondition {
        if (index < 0 || index > 5) {
            throw new SeccompFilterException("arg_index must be 0..5 (system calls have six arguments), not " + index);
        }
        if (width == null || op == null) {
            throw new SeccompFilterException("an argument condition needs arg_type (dword or qword) and op");
        }
        if (width == Width.DWORD) {
            if (value < Integer.MIN_VALUE || value > 0xffffffffL) {
                throw new SeccompFilterException("val " + value + " of a dword condition on argument " + index
                        + " does not fit in 32 bits; use arg_type qword");
            }
            value &= 0xffffffffL;
            mask &= 0xffffffffL;
        }
        if (op != Op.MASKED_EQ) {
            mask = 0;
        }
    }

    public static ArgCondition of(int index, Width width, Op op, long value) {
        return new ArgCondition(index, width, op, value, 0);
    }

    public static ArgCondition maskedEq(int index, Width width, long mask, long value) {
        return new ArgCondition(index, width, Op.MASKED_EQ, value, mask);
    }
}
