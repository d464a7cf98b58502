package dev.ember.kvm;

/**
 * Layout of {@code struct kvm_segment} (24 bytes, embedded in kvm_sregs) and the decoded form of
 * one segment register. {@code limit} is the byte-granular limit (already scaled when g=1).
 */
@CStruct("kvm_segment")
public record KvmSegment(long base, int limit, int selector, int type, boolean present, int dpl,
                         boolean db, boolean s, boolean l, boolean g, boolean avl, boolean unusable) {
    public static final int SIZE = 24;
    @CField(value = "base", size = 8) public static final int BASE = 0;
    @CField(value = "limit", size = 4) public static final int LIMIT = 8;
    @CField(value = "selector", size = 2) public static final int SELECTOR = 12;
    @CField(value = "type", size = 1) public static final int TYPE = 14;
    @CField(value = "present", size = 1) public static final int PRESENT = 15;
    @CField(value = "dpl", size = 1) public static final int DPL = 16;
    @CField(value = "db", size = 1) public static final int DB = 17;
    @CField(value = "s", size = 1) public static final int S = 18;
    @CField(value = "l", size = 1) public static final int L = 19;
    @CField(value = "g", size = 1) public static final int G = 20;
    @CField(value = "avl", size = 1) public static final int AVL = 21;
    @CField(value = "unusable", size = 1) public static final int UNUSABLE = 22;

    /**
     * Decodes a GDT descriptor (the 8-byte form) into the segment-register form KVM takes, the way
     * the CPU would load it for {@code selector}.
     */
    public static KvmSegment fromGdtEntry(int selector, long entry) {
        long base = ((entry >>> 16) & 0xFFFFFFL) | (((entry >>> 56) & 0xFF) << 24);
        int rawLimit = (int) ((entry & 0xFFFF) | (((entry >>> 48) & 0xF) << 16));
        boolean g = ((entry >>> 55) & 1) != 0;
        int limit = g ? (rawLimit << 12) | 0xFFF : rawLimit;
        int type = (int) ((entry >>> 40) & 0xF);
        boolean s = ((entry >>> 44) & 1) != 0;
        int dpl = (int) ((entry >>> 45) & 3);
        boolean present = ((entry >>> 47) & 1) != 0;
        boolean avl = ((entry >>> 52) & 1) != 0;
        boolean l = ((entry >>> 53) & 1) != 0;
        boolean db = ((entry >>> 54) & 1) != 0;
        return new KvmSegment(base, limit, selector, type, present, dpl, db, s, l, g, avl, !present);
    }
}
