package dev.ember.kvm;

/** {@code struct kvm_debugregs} (KVM_GET/SET_DEBUGREGS): DR0-3, DR6, DR7, kept opaque for snapshots. */
@CStruct("kvm_debugregs")
public final class KvmDebugregs extends NativeStruct {
    public static final int SIZE = 128;
    @CField(value = "db", size = 32) public static final int DB = 0;
    @CField(value = "dr6", size = 8) public static final int DR6 = 32;
    @CField(value = "dr7", size = 8) public static final int DR7 = 40;
    @CField(value = "flags", size = 8) public static final int FLAGS = 48;
    @CField(value = "reserved", size = 72) public static final int RESERVED = 56;

    public KvmDebugregs() {
        super(SIZE);
    }

    public long dr7() {
        return mem.getLong(DR7);
    }
}
