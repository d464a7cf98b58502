package dev.ember.seccomp;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Compiles a {@link SeccompFilter} into classic BPF for seccomp on x86_64.
 *
 * <p>Program shape: (1) the architecture in {@code seccomp_data.arch} must be AUDIT_ARCH_X86_64,
 * else kill the process (a 32-bit {@code int 0x80} call has other numbers); (2) numbers at or
 * above {@code __X32_SYSCALL_BIT} (x32 ABI calls) kill the process; (3) a balanced binary search
 * over the sorted system call numbers ({@code jge} splits, {@code jeq} at the leaves) leads to the
 * block of each call, so a call costs O(log n) instructions, not a walk through the whole list;
 * (4) each block tries its rules in order, a rule's conditions all having to hold; (5) the shared
 * {@code ret} instructions for the match action, the default action and kill.
 *
 * <p>Conditional jumps in classic BPF reach only 255 instructions ahead, so every conditional
 * branch here is emitted as a {@code jXX} whose taken side is the next instruction or the one
 * after, paired with an unconditional {@code ja} (32-bit offset) to the real target.
 */
public final class BpfCompiler {
    // <linux/bpf_common.h>
    static final int BPF_LD = 0x00, BPF_ALU = 0x04, BPF_JMP = 0x05, BPF_RET = 0x06;
    static final int BPF_W = 0x00, BPF_ABS = 0x20, BPF_K = 0x00;
    static final int BPF_AND = 0x50;
    static final int BPF_JA = 0x00, BPF_JEQ = 0x10, BPF_JGT = 0x20, BPF_JGE = 0x30;

    // struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; }
    static final int DATA_NR = 0, DATA_ARCH = 4, DATA_ARGS = 16;

    /** AUDIT_ARCH_X86_64 = EM_X86_64 (62) | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE. */
    public static final int AUDIT_ARCH_X86_64 = 0xC000003E;
    /** __X32_SYSCALL_BIT: x32 system calls carry it in their number. */
    public static final int X32_SYSCALL_BIT = 0x40000000;

    /** At or below this many calls, a subtree is a run of {@code jeq} tests. */
    private static final int LEAF_SIZE = 4;

    private BpfCompiler() {}

    public static BpfProgram compile(SeccompFilter filter) {
        Assembler a = new Assembler();
        Label kill = a.label();
        Label match = a.label();
        Label fallback = a.label();

        a.load(DATA_ARCH);
        a.jumpUnless(BPF_JEQ, AUDIT_ARCH_X86_64, kill);
        a.load(DATA_NR);
        a.jumpIf(BPF_JGE, X32_SYSCALL_BIT, kill);

        TreeMap<Integer, List<SyscallRule>> byNumber = new TreeMap<>();
        for (SyscallRule r : filter.rules()) {
            byNumber.computeIfAbsent(r.number(), n -> new ArrayList<>()).add(r);
        }
        // One shared ret per distinct action; rules jump to the one they decide.
        Map<SeccompAction, Label> actionLabels = new LinkedHashMap<>();
        actionLabels.put(filter.matchAction(), match);
        int n = byNumber.size();
        int[] numbers = new int[n];
        Label[] blocks = new Label[n];
        int i = 0;
        for (Map.Entry<Integer, List<SyscallRule>> e : byNumber.entrySet()) {
            numbers[i] = e.getKey();
            SyscallRule first = e.getValue().get(0);
            // A call whose first rule has no conditions needs no block: go straight to its action.
            blocks[i] = first.conditions().isEmpty() ? actionLabel(a, actionLabels, filter, first) : a.label();
            i++;
        }
        emitSearch(a, numbers, blocks, 0, n, fallback);

        i = 0;
        for (List<SyscallRule> rules : byNumber.values()) {
            if (!rules.get(0).conditions().isEmpty()) {
                a.bind(blocks[i]);
                boolean decided = false;
                for (SyscallRule rule : rules) {
                    Label next = a.label();
                    for (ArgCondition c : rule.conditions()) {
                        emitCondition(a, c, next);
                    }
                    a.jump(actionLabel(a, actionLabels, filter, rule));
                    a.bind(next);
                    if (rule.conditions().isEmpty()) {
                        decided = true;   // later rules for this call can never be reached
                        break;
                    }
                }
                if (!decided) {
                    a.jump(fallback);
                }
            }
            i++;
        }

        for (Map.Entry<SeccompAction, Label> e : actionLabels.entrySet()) {
            a.bind(e.getValue());
            a.ret(e.getKey().returnValue());
        }
        a.bind(fallback);
        a.ret(filter.defaultAction().returnValue());
        a.bind(kill);
        a.ret(SeccompAction.KILL_PROCESS.returnValue());
        return a.assemble();
    }

    private static Label actionLabel(Assembler a, Map<SeccompAction, Label> labels, SeccompFilter filter, SyscallRule rule) {
        SeccompAction action = rule.action() != null ? rule.action() : filter.matchAction();
        return labels.computeIfAbsent(action, x -> a.label());
    }

    /** Binary search over numbers[from, to); the accumulator holds the system call number. */
    private static void emitSearch(Assembler a, int[] numbers, Label[] blocks, int from, int to, Label fallback) {
        if (to - from <= LEAF_SIZE) {
            for (int i = from; i < to; i++) {
                a.jumpIf(BPF_JEQ, numbers[i], blocks[i]);
            }
            a.jump(fallback);
            return;
        }
        int mid = (from + to) >>> 1;
        Label upper = a.label();
        a.jumpIf(BPF_JGE, numbers[mid], upper);
        emitSearch(a, numbers, blocks, from, mid, fallback);
        a.bind(upper);
        emitSearch(a, numbers, blocks, mid, to, fallback);
    }

    /** Falls through when {@code c} holds, jumps to {@code fail} when it does not. */
    private static void emitCondition(Assembler a, ArgCondition c, Label fail) {
        int lo = DATA_ARGS + 8 * c.index();   // little-endian: low half first
        int hi = lo + 4;
        int vlo = (int) c.value();
        int vhi = (int) (c.value() >>> 32);
        boolean q = c.width() == ArgCondition.Width.QWORD;
        switch (c.op()) {
            case EQ -> {
                if (q) {
                    a.load(hi);
                    a.jumpUnless(BPF_JEQ, vhi, fail);
                }
                a.load(lo);
                a.jumpUnless(BPF_JEQ, vlo, fail);
            }
            case NE -> {
                Label pass = a.label();
                if (q) {
                    a.load(hi);
                    a.jumpUnless(BPF_JEQ, vhi, pass);
                }
                a.load(lo);
                a.jumpIf(BPF_JEQ, vlo, fail);
                a.bind(pass);
            }
            case MASKED_EQ -> {
                if (q) {
                    a.load(hi);
                    a.and((int) (c.mask() >>> 32));
                    a.jumpUnless(BPF_JEQ, vhi, fail);
                }
                a.load(lo);
                a.and((int) c.mask());
                a.jumpUnless(BPF_JEQ, vlo, fail);
            }
            // Ordered comparisons: the high halves decide unless equal, then the low halves do.
            case GT, GE -> {
                Label pass = a.label();
                if (q) {
                    a.load(hi);
                    a.jumpIf(BPF_JGT, vhi, pass);
                    a.jumpUnless(BPF_JEQ, vhi, fail);
                }
                a.load(lo);
                a.jumpUnless(c.op() == ArgCondition.Op.GT ? BPF_JGT : BPF_JGE, vlo, fail);
                a.bind(pass);
            }
            case LT, LE -> {
                Label pass = a.label();
                if (q) {
                    a.load(hi);
                    a.jumpIf(BPF_JGT, vhi, fail);
                    a.jumpUnless(BPF_JEQ, vhi, pass);
                }
                a.load(lo);
                a.jumpIf(c.op() == ArgCondition.Op.LT ? BPF_JGE : BPF_JGT, vlo, fail);
                a.bind(pass);
            }
        }
    }

    /** A forward jump target; its position is known once bound. */
    private static final class Label {
        int position = -1;
    }

    /** Emits instructions with symbolic forward jumps and resolves them at the end. */
    private static final class Assembler {
        private final List<int[]> insns = new ArrayList<>();   // {code, jt, jf, k}
        private final List<Label> targets = new ArrayList<>(); // ja target per instruction, or null

        Label label() {
            return new Label();
        }

        void bind(Label l) {
            l.position = insns.size();
        }

        private void emit(int code, int jt, int jf, int k, Label target) {
            insns.add(new int[] {code, jt, jf, k});
            targets.add(target);
        }

        void load(int offset) {
            emit(BPF_LD | BPF_W | BPF_ABS, 0, 0, offset, null);
        }

        void and(int k) {
            emit(BPF_ALU | BPF_AND | BPF_K, 0, 0, k, null);
        }

        void ret(int k) {
            emit(BPF_RET | BPF_K, 0, 0, k, null);
        }

        void jump(Label target) {
            emit(BPF_JMP | BPF_JA, 0, 0, 0, target);
        }

        /** if (A op k) goto target: true runs the following ja, false skips it. */
        void jumpIf(int op, int k, Label target) {
            emit(BPF_JMP | op | BPF_K, 0, 1, k, null);
            jump(target);
        }

        /** if !(A op k) goto target. */
        void jumpUnless(int op, int k, Label target) {
            emit(BPF_JMP | op | BPF_K, 1, 0, k, null);
            jump(target);
        }

        BpfProgram assemble() {
            int n = insns.size();
            if (n > BpfProgram.MAX_INSTRUCTIONS) {
                throw new SeccompFilterException("the seccomp filter compiles to " + n + " BPF instructions; the kernel accepts at most "
                        + BpfProgram.MAX_INSTRUCTIONS + " (merge rules or drop argument conditions)");
            }
            short[] code = new short[n];
            byte[] jt = new byte[n];
            byte[] jf = new byte[n];
            int[] k = new int[n];
            for (int i = 0; i < n; i++) {
                int[] in = insns.get(i);
                code[i] = (short) in[0];
                jt[i] = (byte) in[1];
                jf[i] = (byte) in[2];
                k[i] = in[3];
                Label t = targets.get(i);
                if (t != null) {
                    if (t.position <= i) {
                        throw new IllegalStateException("BPF jump at " + i + " is not forward (label " + t.position + ")");
                    }
                    k[i] = t.position - (i + 1);
                }
            }
            return new BpfProgram(code, jt, jf, k);
        }
    }
}
