package dev.ember.kvm;

/** {@code struct kvm_regs}: the general-purpose registers, RIP and RFLAGS (KVM_GET/SET_REGS). */
@CStruct("kvm_regs")
public final class KvmRegs extends NativeStruct {
    public static final int SIZE = 144;
    @CField(value = "rax", size = 8) public static final int RAX = 0;
    @CField(value = "rbx", size = 8) public static final int RBX = 8;
    @CField(value = "rcx", size = 8) public static final int RCX = 16;
    @CField(value = "rdx", size = 8) public static final int RDX = 24;
    @CField(value = "rsi", size = 8) public static final int RSI = 32;
    @CField(value = "rdi", size = 8) public static final int RDI = 40;
    @CField(value = "rsp", size = 8) public static final int RSP = 48;
    @CField(value = "rbp", size = 8) public static final int RBP = 56;
    @CField(value = "r8", size = 8) public static final int R8 = 64;
    @CField(value = "r9", size = 8) public static final int R9 = 72;
    @CField(value = "r10", size = 8) public static final int R10 = 80;
    @CField(value = "r11", size = 8) public static final int R11 = 88;
    @CField(value = "r12", size = 8) public static final int R12 = 96;
    @CField(value = "r13", size = 8) public static final int R13 = 104;
    @CField(value = "r14", size = 8) public static final int R14 = 112;
    @CField(value = "r15", size = 8) public static final int R15 = 120;
    @CField(value = "rip", size = 8) public static final int RIP = 128;
    @CField(value = "rflags", size = 8) public static final int RFLAGS = 136;

    public KvmRegs() {
        super(SIZE);
    }

    /** Reads the register at one of the offset constants of this class, e.g. {@code get(RIP)}. */
    public long get(int registerOffset) {
        return mem.getLong(registerOffset);
    }

    public void set(int registerOffset, long value) {
        mem.putLong(registerOffset, value);
    }
}
