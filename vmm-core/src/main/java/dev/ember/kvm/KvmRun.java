package dev.ember.kvm;

import dev.ember.sys.NativeMemory;

/**
 * {@code struct kvm_run}: the page KVM_RUN shares with user space through mmap of the vCPU fd.
 * A view over the mapping; one instance per vCPU, read on the vCPU thread after every exit.
 * Only {@link #requestImmediateExit()} is written from other threads.
 */
@CStruct("kvm_run")
public final class KvmRun extends NativeStruct {
    public static final int SIZE = 2352;
    @CField(value = "request_interrupt_window", size = 1) public static final int REQUEST_INTERRUPT_WINDOW = 0;
    @CField(value = "immediate_exit", size = 1) public static final int IMMEDIATE_EXIT = 1;
    @CField(value = "exit_reason", size = 4) public static final int EXIT_REASON = 8;
    @CField(value = "ready_for_interrupt_injection", size = 1) public static final int READY_FOR_INTERRUPT_INJECTION = 12;
    @CField(value = "if_flag", size = 1) public static final int IF_FLAG = 13;
    @CField(value = "flags", size = 2) public static final int FLAGS = 14;
    @CField(value = "cr8", size = 8) public static final int CR8 = 16;
    @CField(value = "apic_base", size = 8) public static final int APIC_BASE = 24;

    // KVM_EXIT_IO
    @CField(value = "io.direction", size = 1) public static final int IO_DIRECTION = 32;
    @CField(value = "io.size", size = 1) public static final int IO_SIZE = 33;
    @CField(value = "io.port", size = 2) public static final int IO_PORT = 34;
    @CField(value = "io.count", size = 4) public static final int IO_COUNT = 36;
    @CField(value = "io.data_offset", size = 8) public static final int IO_DATA_OFFSET = 40;
    // KVM_EXIT_MMIO
    @CField(value = "mmio.phys_addr", size = 8) public static final int MMIO_PHYS_ADDR = 32;
    @CField(value = "mmio.data", size = 8) public static final int MMIO_DATA = 40;
    @CField(value = "mmio.len", size = 4) public static final int MMIO_LEN = 48;
    @CField(value = "mmio.is_write", size = 1) public static final int MMIO_IS_WRITE = 52;
    // KVM_EXIT_SYSTEM_EVENT
    @CField(value = "system_event.type", size = 4) public static final int SYSTEM_EVENT_TYPE = 32;
    @CField(value = "system_event.ndata", size = 4) public static final int SYSTEM_EVENT_NDATA = 36;
    @CField(value = "system_event.data", size = 128) public static final int SYSTEM_EVENT_DATA = 40;
    // KVM_EXIT_FAIL_ENTRY
    @CField(value = "fail_entry.hardware_entry_failure_reason", size = 8) public static final int FAIL_ENTRY_REASON = 32;
    @CField(value = "fail_entry.cpu", size = 4) public static final int FAIL_ENTRY_CPU = 40;
    // KVM_EXIT_INTERNAL_ERROR
    @CField(value = "internal.suberror", size = 4) public static final int INTERNAL_SUBERROR = 32;
    @CField(value = "internal.ndata", size = 4) public static final int INTERNAL_NDATA = 36;
    @CField(value = "internal.data", size = 128) public static final int INTERNAL_DATA = 40;

    @CConst("KVM_EXIT_UNKNOWN") public static final int EXIT_UNKNOWN = 0;
    @CConst("KVM_EXIT_EXCEPTION") public static final int EXIT_EXCEPTION = 1;
    @CConst("KVM_EXIT_IO") public static final int EXIT_IO = 2;
    @CConst("KVM_EXIT_HYPERCALL") public static final int EXIT_HYPERCALL = 3;
    @CConst("KVM_EXIT_DEBUG") public static final int EXIT_DEBUG = 4;
    @CConst("KVM_EXIT_HLT") public static final int EXIT_HLT = 5;
    @CConst("KVM_EXIT_MMIO") public static final int EXIT_MMIO = 6;
    @CConst("KVM_EXIT_IRQ_WINDOW_OPEN") public static final int EXIT_IRQ_WINDOW_OPEN = 7;
    @CConst("KVM_EXIT_SHUTDOWN") public static final int EXIT_SHUTDOWN = 8;
    @CConst("KVM_EXIT_FAIL_ENTRY") public static final int EXIT_FAIL_ENTRY = 9;
    @CConst("KVM_EXIT_INTR") public static final int EXIT_INTR = 10;
    @CConst("KVM_EXIT_INTERNAL_ERROR") public static final int EXIT_INTERNAL_ERROR = 17;
    @CConst("KVM_EXIT_SYSTEM_EVENT") public static final int EXIT_SYSTEM_EVENT = 24;

    @CConst("KVM_EXIT_IO_IN") public static final int IO_IN = 0;
    @CConst("KVM_EXIT_IO_OUT") public static final int IO_OUT = 1;

    @CConst("KVM_SYSTEM_EVENT_SHUTDOWN") public static final int SYSTEM_EVENT_SHUTDOWN = 1;
    @CConst("KVM_SYSTEM_EVENT_RESET") public static final int SYSTEM_EVENT_RESET = 2;
    @CConst("KVM_SYSTEM_EVENT_CRASH") public static final int SYSTEM_EVENT_CRASH = 3;

    @CConst("KVM_INTERNAL_ERROR_EMULATION") public static final int INTERNAL_ERROR_EMULATION = 1;
    @CConst("KVM_INTERNAL_ERROR_SIMUL_EX") public static final int INTERNAL_ERROR_SIMUL_EX = 2;
    @CConst("KVM_INTERNAL_ERROR_DELIVERY_EV") public static final int INTERNAL_ERROR_DELIVERY_EV = 3;

    /** Upper bound on the u64 words in internal.data and system_event.data. */
    public static final int MAX_DATA_WORDS = 16;

    private final long base;

    /** A view of a kvm_run mapping of {@code mappedSize} bytes (KVM_GET_VCPU_MMAP_SIZE). */
    public KvmRun(NativeMemory mapping, int mappedSize) {
        super(mapping, mappedSize);
        this.base = mapping.address();
    }

    public int exitReason() {
        return mem.getInt(EXIT_REASON);
    }

    /** Makes the next (or the current pending) KVM_RUN return EINTR at once: the kick. */
    public void requestImmediateExit() {
        mem.putByte(IMMEDIATE_EXIT, (byte) 1);
    }

    public void clearImmediateExit() {
        mem.putByte(IMMEDIATE_EXIT, (byte) 0);
    }

    public boolean immediateExit() {
        return mem.getByte(IMMEDIATE_EXIT) != 0;
    }

    public int ioDirection() {
        return mem.getByte(IO_DIRECTION);
    }

    public int ioSize() {
        return mem.getByte(IO_SIZE) & 0xFF;
    }

    public int ioPort() {
        return mem.getShort(IO_PORT) & 0xFFFF;
    }

    public int ioCount() {
        return mem.getInt(IO_COUNT);
    }

    /** Offset from the start of the mapping to the port data (count * size bytes). */
    public long ioDataOffset() {
        return mem.getLong(IO_DATA_OFFSET);
    }

    /** Reads a 1/2/4-byte item of port data at {@code offset} into the mapping. */
    public long readData(long offset, int size) {
        switch (size) {
            case 1: return mem.getByte(offset) & 0xFFL;
            case 2: return mem.getShort(offset) & 0xFFFFL;
            case 4: return mem.getInt(offset) & 0xFFFF_FFFFL;
            case 8: return mem.getLong(offset);
            default: throw new IllegalArgumentException("unsupported data size " + size);
        }
    }

    public void writeData(long offset, int size, long value) {
        switch (size) {
            case 1: mem.putByte(offset, (byte) value); break;
            case 2: mem.putShort(offset, (short) value); break;
            case 4: mem.putInt(offset, (int) value); break;
            case 8: mem.putLong(offset, value); break;
            default: throw new IllegalArgumentException("unsupported data size " + size);
        }
    }

    public long mmioPhysAddr() {
        return mem.getLong(MMIO_PHYS_ADDR);
    }

    public int mmioLen() {
        return mem.getInt(MMIO_LEN);
    }

    public boolean mmioIsWrite() {
        return mem.getByte(MMIO_IS_WRITE) != 0;
    }

    /** The MMIO data bytes as a little-endian value of {@code mmioLen()} bytes (1..8). */
    public long mmioData(int len) {
        if (len == 1 || len == 2 || len == 4 || len == 8) {
            return readData(MMIO_DATA, len);
        }
        long v = 0;
        for (int i = 0; i < len; i++) {
            v |= (mem.getByte(MMIO_DATA + i) & 0xFFL) << (8 * i);
        }
        return v;
    }

    public void mmioData(int len, long value) {
        for (int i = 0; i < len && i < 8; i++) {
            mem.putByte(MMIO_DATA + i, (byte) (value >>> (8 * i)));
        }
    }

    public int systemEventType() {
        return mem.getInt(SYSTEM_EVENT_TYPE);
    }

    public int systemEventNdata() {
        return mem.getInt(SYSTEM_EVENT_NDATA);
    }

    public long systemEventData(int i) {
        return mem.getLong(SYSTEM_EVENT_DATA + 8L * checkWord(i));
    }

    public long failEntryReason() {
        return mem.getLong(FAIL_ENTRY_REASON);
    }

    public int failEntryCpu() {
        return mem.getInt(FAIL_ENTRY_CPU);
    }

    public int internalSuberror() {
        return mem.getInt(INTERNAL_SUBERROR);
    }

    public int internalNdata() {
        return mem.getInt(INTERNAL_NDATA);
    }

    public long internalData(int i) {
        return mem.getLong(INTERNAL_DATA + 8L * checkWord(i));
    }

    /** Host address of the mapping, for munmap. */
    public long mappingAddress() {
        return base;
    }

    private static int checkWord(int i) {
        if (i < 0 || i >= MAX_DATA_WORDS) {
            throw new IndexOutOfBoundsException("data word " + i);
        }
        return i;
    }
}
