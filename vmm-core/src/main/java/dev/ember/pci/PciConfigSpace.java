package dev.ember.pci;

/**
 * One PCI function's 4 KiB configuration space with a type-0 header: the bytes the guest reads
 * and, per byte, which bits it may write (the rest are read-only) and which are write-1-to-clear.
 *
 * <p>The function's side sets up the header, BARs and capabilities while the VM is built
 * ({@link #set}, {@link #setBar}, {@link #addCapability}); the guest's side is {@link #read} and
 * {@link #write}, which honour the masks and allocate nothing. A BAR's address register reads
 * back the size mask after the guest wrote all-ones to it (size probing) because its low bits
 * are read-only zeroes. Not thread-safe: the root complex serialises configuration accesses.
 */
public final class PciConfigSpace {
    public static final int SIZE = 4096;

    public static final int VENDOR_ID = 0x00, DEVICE_ID = 0x02, COMMAND = 0x04, STATUS = 0x06, REVISION_ID = 0x08,
            CLASS_CODE = 0x09, CACHE_LINE_SIZE = 0x0c, LATENCY_TIMER = 0x0d, HEADER_TYPE = 0x0e, BAR0 = 0x10,
            SUBSYSTEM_VENDOR_ID = 0x2c, SUBSYSTEM_ID = 0x2e, CAPABILITIES_POINTER = 0x34, INTERRUPT_LINE = 0x3c,
            INTERRUPT_PIN = 0x3d;
    /** Command register bits. */
    public static final int COMMAND_IO_SPACE = 1, COMMAND_MEMORY_SPACE = 1 << 1, COMMAND_BUS_MASTER = 1 << 2,
            COMMAND_INTX_DISABLE = 1 << 10;
    /** Status register: the function has a capability list. */
    public static final int STATUS_CAPABILITIES = 1 << 4;
    /** Capability IDs Ember uses. */
    public static final int CAP_ID_VENDOR = 0x09, CAP_ID_MSIX = 0x11;

    /** First byte past the type-0 header: capabilities start here. */
    private static final int CAPABILITIES_START = 0x40;
    /** Standard capabilities live in the first 256 bytes (the part legacy mechanisms reach). */
    private static final int CAPABILITIES_END = 0x100;
    private static final int MAX_LISTENERS = 8;

    private final byte[] data = new byte[SIZE];
    private final byte[] writable = new byte[SIZE];
    private final byte[] writeOneToClear = new byte[SIZE];
    private final PciBar[] bars = new PciBar[6];
    private final int[] listenerStart = new int[MAX_LISTENERS];
    private final int[] listenerEnd = new int[MAX_LISTENERS];
    private final ConfigWriteListener[] listeners = new ConfigWriteListener[MAX_LISTENERS];
    private int listenerCount;
    /** Offset of the last capability added (its next pointer is rewritten by the next one), or 0. */
    private int lastCapability;
    private int nextCapability = CAPABILITIES_START;

    /**
     * A type-0 header: IDs and class read-only; Command's I/O, Memory, Bus Master and INTx-disable
     * bits, Cache Line Size, Latency Timer and Interrupt Line writable; Status's error bits
     * write-1-to-clear.
     *
     * @param classCode class, subclass and programming interface as one 24-bit value (0x020000: Ethernet)
     */
    public PciConfigSpace(int vendorId, int deviceId, int classCode, int revisionId) {
        set(VENDOR_ID, 2, vendorId);
        set(DEVICE_ID, 2, deviceId);
        set(REVISION_ID, 1, revisionId);
        set(CLASS_CODE, 3, classCode);
        setWriteMask(COMMAND, 2, COMMAND_IO_SPACE | COMMAND_MEMORY_SPACE | COMMAND_BUS_MASTER | COMMAND_INTX_DISABLE);
        setWriteOneToClearMask(STATUS, 2, 0xf900);
        setWriteMask(CACHE_LINE_SIZE, 1, 0xff);
        setWriteMask(LATENCY_TIMER, 1, 0xff);
        setWriteMask(INTERRUPT_LINE, 1, 0xff);
    }

    /** Subsystem vendor and subsystem IDs (read-only). */
    public PciConfigSpace subsystem(int vendorId, int id) {
        set(SUBSYSTEM_VENDOR_ID, 2, vendorId);
        set(SUBSYSTEM_ID, 2, id);
        return this;
    }

    /** Declares a memory BAR: its address register's low bits become read-only flags and size mask. */
    public void setBar(PciBar bar) {
        int i = bar.index();
        if (bars[i] != null || (bar.is64Bit() && bars[i + 1] != null) || (i > 0 && bars[i - 1] != null && bars[i - 1].is64Bit())) {
            throw new PciException(PciException.Reason.INVALID_LAYOUT, "BAR " + i + " is already declared");
        }
        bars[i] = bar;
        int flags = (bar.is64Bit() ? 0b100 : 0) | (bar.prefetchable() ? 0b1000 : 0);
        long sizeMask = -bar.size();
        set(BAR0 + 4 * i, 4, flags);
        setWriteMask(BAR0 + 4 * i, 4, (int) sizeMask & ~0xf);
        if (bar.is64Bit()) {
            set(BAR0 + 4 * i + 4, 4, 0);
            setWriteMask(BAR0 + 4 * i + 4, 4, (int) (sizeMask >>> 32));
        }
    }

    /** The BAR declared at {@code index}, or null (none, or the upper half of a 64-bit one). */
    public PciBar bar(int index) {
        return bars[index];
    }

    /** The address BAR {@code index} holds now (the flag bits cleared); the guest may have written anything. */
    public long barAddress(int index) {
        PciBar bar = bars[index];
        long low = get(BAR0 + 4 * index, 4) & 0xffff_fff0L;
        return bar != null && bar.is64Bit() ? low | (get(BAR0 + 4 * index + 4, 4) & 0xffff_ffffL) << 32 : low;
    }

    /** Sets BAR {@code index}'s address, as firmware does before the OS runs. */
    public void setBarAddress(int index, long address) {
        PciBar bar = bars[index];
        if (bar == null || (address & (bar.size() - 1)) != 0 || (!bar.is64Bit() && address >>> 32 != 0)) {
            throw new PciException(PciException.Reason.INVALID_LAYOUT,
                    String.format("BAR %d cannot take address 0x%x", index, address));
        }
        set(BAR0 + 4 * index, 4, (get(BAR0 + 4 * index, 4) & 0xf) | (int) address);
        if (bar.is64Bit()) {
            set(BAR0 + 4 * index + 4, 4, (int) (address >>> 32));
        }
    }

    /**
     * Appends a capability of {@code length} bytes (ID and next pointer included) to the list in
     * the first 256 bytes, 4-byte aligned, and returns its offset. Its bytes after the header are
     * zero and read-only until the caller sets them and their masks. The listener, if any, is told
     * of every guest write that touches the capability.
     */
    public int addCapability(int id, int length, ConfigWriteListener listener) {
        if (length < 2 || id < 0 || id > 0xff) {
            throw new PciException(PciException.Reason.INVALID_LAYOUT, "capability 0x" + Integer.toHexString(id) + " of " + length + " bytes");
        }
        int offset = nextCapability;
        if (offset + length > CAPABILITIES_END || (listener != null && listenerCount == MAX_LISTENERS)) {
            throw new PciException(PciException.Reason.CAPABILITY_SPACE_FULL, "no room for capability 0x" + Integer.toHexString(id)
                    + " of " + length + " bytes at 0x" + Integer.toHexString(offset));
        }
        set(offset, 1, id);
        set(offset + 1, 1, 0);
        if (lastCapability == 0) {
            set(CAPABILITIES_POINTER, 1, offset);
            set(STATUS, 2, get(STATUS, 2) | STATUS_CAPABILITIES);
        } else {
            set(lastCapability + 1, 1, offset);
        }
        lastCapability = offset;
        nextCapability = (offset + length + 3) & ~3;
        if (listener != null) {
            listenerStart[listenerCount] = offset;
            listenerEnd[listenerCount] = offset + length;
            listeners[listenerCount++] = listener;
        }
        return offset;
    }

    /** Sets bytes as the device sees them, ignoring the masks ({@code size} 1 to 4, little-endian). */
    public void set(int offset, int size, int value) {
        checkRange(offset, size);
        for (int i = 0; i < size; i++) {
            data[offset + i] = (byte) (value >>> (8 * i));
        }
    }

    /** Reads bytes as the device sees them (the same as the guest does). */
    public int get(int offset, int size) {
        checkRange(offset, size);
        int v = 0;
        for (int i = 0; i < size; i++) {
            v |= (data[offset + i] & 0xff) << (8 * i);
        }
        return v;
    }

    /** Which bits of {@code [offset, +size)} the guest may write (replacing the earlier mask). */
    public void setWriteMask(int offset, int size, int mask) {
        checkRange(offset, size);
        for (int i = 0; i < size; i++) {
            writable[offset + i] = (byte) (mask >>> (8 * i));
        }
    }

    /** Which bits of {@code [offset, +size)} a guest write of 1 clears (status bits). */
    public void setWriteOneToClearMask(int offset, int size, int mask) {
        checkRange(offset, size);
        for (int i = 0; i < size; i++) {
            writeOneToClear[offset + i] = (byte) (mask >>> (8 * i));
        }
    }

    /** A guest read: {@code size} 1, 2 or 4 bytes; a misaligned or out-of-range access reads all-ones. */
    public int read(int offset, int size) {
        if (!validAccess(offset, size)) {
            return size == 4 ? -1 : (1 << (size * 8)) - 1;
        }
        return get(offset, size);
    }

    /**
     * A guest write: each byte keeps its read-only bits, takes the writable ones from
     * {@code value} and clears the write-1-to-clear ones {@code value} sets; then the listeners of
     * capabilities it touched are told. A misaligned or out-of-range access is dropped.
     */
    public void write(int offset, int size, int value) {
        if (!validAccess(offset, size)) {
            return;
        }
        for (int i = 0; i < size; i++) {
            int p = offset + i;
            int v = value >>> (8 * i);
            int w = writable[p];
            int c = writeOneToClear[p] & v;
            data[p] = (byte) (((data[p] & ~w) | (v & w)) & ~c);
        }
        for (int i = 0; i < listenerCount; i++) {
            if (offset < listenerEnd[i] && offset + size > listenerStart[i]) {
                listeners[i].written(offset, size);
            }
        }
    }

    /** The register bytes, for a snapshot (the masks and BAR declarations are the function's structure, rebuilt on load). */
    public byte[] saveBytes() {
        return data.clone();
    }

    /** Puts back what {@link #saveBytes} returned, on a function built the same way; listeners are not called. */
    public void restoreBytes(byte[] saved) {
        if (saved.length != SIZE) {
            throw new IllegalArgumentException("PCI configuration space state of " + saved.length + " bytes, not " + SIZE);
        }
        System.arraycopy(saved, 0, data, 0, SIZE);
    }

    private static boolean validAccess(int offset, int size) {
        return (size == 1 || size == 2 || size == 4) && offset >= 0 && offset + size <= SIZE && (offset & (size - 1)) == 0;
    }

    private static void checkRange(int offset, int size) {
        if (size < 1 || size > 4 || offset < 0 || offset + size > SIZE) {
            throw new IndexOutOfBoundsException("config space [" + offset + ", +" + size + ")");
        }
    }
}
