package dev.ember.kvm;

/** {@code struct kvm_sregs}: segment registers, descriptor tables, control registers, EFER. */
@CStruct("kvm_sregs")
public final class KvmSregs extends NativeStruct {
    public static final int SIZE = 312;
    @CField(value = "cs", size = KvmSegment.SIZE) public static final int CS = 0;
    @CField(value = "ds", size = KvmSegment.SIZE) public static final int DS = 24;
    @CField(value = "es", size = KvmSegment.SIZE) public static final int ES = 48;
    @CField(value = "fs", size = KvmSegment.SIZE) public static final int FS = 72;
    @CField(value = "gs", size = KvmSegment.SIZE) public static final int GS = 96;
    @CField(value = "ss", size = KvmSegment.SIZE) public static final int SS = 120;
    @CField(value = "tr", size = KvmSegment.SIZE) public static final int TR = 144;
    @CField(value = "ldt", size = KvmSegment.SIZE) public static final int LDT = 168;
    @CField(value = "gdt", size = KvmDtable.SIZE) public static final int GDT = 192;
    @CField(value = "idt", size = KvmDtable.SIZE) public static final int IDT = 208;
    @CField(value = "cr0", size = 8) public static final int CR0 = 224;
    @CField(value = "cr2", size = 8) public static final int CR2 = 232;
    @CField(value = "cr3", size = 8) public static final int CR3 = 240;
    @CField(value = "cr4", size = 8) public static final int CR4 = 248;
    @CField(value = "cr8", size = 8) public static final int CR8 = 256;
    @CField(value = "efer", size = 8) public static final int EFER = 264;
    @CField(value = "apic_base", size = 8) public static final int APIC_BASE = 272;
    @CField(value = "interrupt_bitmap", size = 32) public static final int INTERRUPT_BITMAP = 280;

    public KvmSregs() {
        super(SIZE);
    }

    /** Reads a 64-bit field (CR0..APIC_BASE) at one of this class's offsets. */
    public long get(int fieldOffset) {
        return mem.getLong(fieldOffset);
    }

    public void set(int fieldOffset, long value) {
        mem.putLong(fieldOffset, value);
    }

    /** Writes a segment register; {@code segmentOffset} is CS, DS, ..., TR or LDT. */
    public void setSegment(int segmentOffset, KvmSegment seg) {
        int o = segmentOffset;
        mem.putLong(o + KvmSegment.BASE, seg.base());
        mem.putInt(o + KvmSegment.LIMIT, seg.limit());
        mem.putShort(o + KvmSegment.SELECTOR, (short) seg.selector());
        mem.putByte(o + KvmSegment.TYPE, (byte) seg.type());
        mem.putByte(o + KvmSegment.PRESENT, flag(seg.present()));
        mem.putByte(o + KvmSegment.DPL, (byte) seg.dpl());
        mem.putByte(o + KvmSegment.DB, flag(seg.db()));
        mem.putByte(o + KvmSegment.S, flag(seg.s()));
        mem.putByte(o + KvmSegment.L, flag(seg.l()));
        mem.putByte(o + KvmSegment.G, flag(seg.g()));
        mem.putByte(o + KvmSegment.AVL, flag(seg.avl()));
        mem.putByte(o + KvmSegment.UNUSABLE, flag(seg.unusable()));
    }

    public KvmSegment segment(int segmentOffset) {
        int o = segmentOffset;
        return new KvmSegment(mem.getLong(o + KvmSegment.BASE), mem.getInt(o + KvmSegment.LIMIT),
                mem.getShort(o + KvmSegment.SELECTOR) & 0xFFFF, mem.getByte(o + KvmSegment.TYPE) & 0xFF,
                mem.getByte(o + KvmSegment.PRESENT) != 0, mem.getByte(o + KvmSegment.DPL) & 0xFF,
                mem.getByte(o + KvmSegment.DB) != 0, mem.getByte(o + KvmSegment.S) != 0,
                mem.getByte(o + KvmSegment.L) != 0, mem.getByte(o + KvmSegment.G) != 0,
                mem.getByte(o + KvmSegment.AVL) != 0, mem.getByte(o + KvmSegment.UNUSABLE) != 0);
    }

    /** Writes GDTR or IDTR; {@code tableOffset} is GDT or IDT. */
    public void setDtable(int tableOffset, long base, int limit) {
        mem.putLong(tableOffset + KvmDtable.BASE, base);
        mem.putShort(tableOffset + KvmDtable.LIMIT, (short) limit);
    }

    public long dtableBase(int tableOffset) {
        return mem.getLong(tableOffset + KvmDtable.BASE);
    }

    public int dtableLimit(int tableOffset) {
        return mem.getShort(tableOffset + KvmDtable.LIMIT) & 0xFFFF;
    }

    private static byte flag(boolean b) {
        return (byte) (b ? 1 : 0);
    }
}
