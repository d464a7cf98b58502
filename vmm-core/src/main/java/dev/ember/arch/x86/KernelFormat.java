package dev.ember.arch.x86;

/** The two kernel image formats Ember boots through the 64-bit boot protocol. */
public enum KernelFormat {
    /** An uncompressed ELF64 {@code vmlinux}; entered at e_entry. */
    ELF,
    /** A {@code bzImage}; its protected-mode part is entered at load address + 0x200. */
    BZIMAGE
}
