package dev.ember.devices.virtio;

import dev.ember.memory.GuestMemory;

/** The driver's view of one split virtqueue laid out by hand in guest memory (test side). */
final class TestRing {
    final GuestMemory mem;
    final int size;
    final long desc;
    final long avail;
    final long used;
    int availIdx;

    TestRing(GuestMemory mem, int size, long base) {
        this.mem = mem;
        this.size = size;
        this.desc = base;
        this.avail = base + 16L * size;
        this.used = (avail + 6 + 2L * size + 4095) & ~4095L;
        mem.fill(desc, used + 6 + 8L * size - desc, (byte) 0);
    }

    void setDesc(int i, long addr, long len, int flags, int next) {
        long d = desc + 16L * i;
        mem.putLong(d, addr);
        mem.putInt(d + 8, (int) len);
        mem.putShort(d + 12, (short) flags);
        mem.putShort(d + 14, (short) next);
    }

    static void setDescAt(GuestMemory mem, long table, int i, long addr, long len, int flags, int next) {
        long d = table + 16L * i;
        mem.putLong(d, addr);
        mem.putInt(d + 8, (int) len);
        mem.putShort(d + 12, (short) flags);
        mem.putShort(d + 14, (short) next);
    }

    void publish(int head) {
        mem.putShort(avail + 4 + 2L * (availIdx % size), (short) head);
        availIdx = (availIdx + 1) & 0xFFFF;
        mem.putShort(avail + 2, (short) availIdx);
    }

    void setAvailIdx(int idx) {
        mem.putShort(avail + 2, (short) idx);
    }

    void setAvailFlags(int flags) {
        mem.putShort(avail, (short) flags);
    }

    void setUsedEvent(int v) {
        mem.putShort(avail + 4 + 2L * size, (short) v);
    }

    int availEvent() {
        return mem.getShort(used + 4 + 8L * size) & 0xFFFF;
    }

    int usedIdx() {
        return mem.getShort(used + 2) & 0xFFFF;
    }

    int usedId(int i) {
        return mem.getInt(used + 4 + 8L * (i % size));
    }

    int usedLen(int i) {
        return mem.getInt(used + 4 + 8L * (i % size) + 4);
    }
}
