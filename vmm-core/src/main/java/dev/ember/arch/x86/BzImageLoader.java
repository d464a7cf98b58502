package dev.ember.arch.x86;

import dev.ember.memory.GuestMemory;
import java.nio.ByteBuffer;

/**
 * Loads a {@code bzImage} for the 64-bit boot protocol: the protected-mode code (everything after
 * the setup sectors) goes to 1 MiB straight from the file, the setup header is copied from the
 * file into the zero page, and the kernel is entered at 1 MiB + 0x200 (startup_64 of the
 * decompressor). The real-mode setup code is not loaded: it never runs on a 64-bit entry.
 */
final class BzImageLoader {
    /** Oldest boot protocol with cmdline_size (2.06); older kernels are not supported. */
    static final int MIN_PROTOCOL = 0x0206;
    /** Protocol 2.10 added pref_address and init_size. */
    private static final int PROTOCOL_INIT_SIZE = 0x020a;
    private static final int SECTOR = 512;
    /** setup_sects 0 means 4 (boot protocol). */
    private static final int DEFAULT_SETUP_SECTS = 4;

    private BzImageLoader() {}

    /** Whether {@code head} (the file's first bytes, from offset 0) carries the "HdrS" setup header. */
    static boolean isBzImage(ByteBuffer head) {
        return head.limit() >= BootParams.HEADER + 4 && head.getInt(BootParams.HEADER) == BootParams.HEADER_MAGIC;
    }

    static LoadedKernel load(GuestMemory mem, ImageFile file, BootParams zeroPage) {
        String name = "kernel image " + file.path();
        ByteBuffer h = file.read(0, (int) Math.min(file.size(), BootParams.HDR_AREA_END));
        if (h.limit() < BootParams.CMDLINE_SIZE + 4) {
            throw new KernelLoadException(KernelLoadException.Reason.TRUNCATED, name + " is too short to hold a complete bzImage setup header (" + file.size() + " bytes)");
        }
        int version = h.getShort(BootParams.VERSION) & 0xffff;
        if (version < MIN_PROTOCOL) {
            throw new KernelLoadException(KernelLoadException.Reason.FORMAT, String.format("%s uses boot protocol %d.%02d; Ember needs 2.06 or later (Linux 2.6.22+)",
                    name, version >> 8, version & 0xff));
        }
        if ((h.getShort(BootParams.BOOT_FLAG) & 0xffff) != (BootParams.BOOT_FLAG_MAGIC & 0xffff)) {
            throw new KernelLoadException(KernelLoadException.Reason.FORMAT, name + " has no 0xAA55 boot_flag at offset 0x1fe: not a valid bzImage");
        }
        int loadflags = h.get(BootParams.LOADFLAGS) & 0xff;
        if ((loadflags & BootParams.LOADED_HIGH) == 0) {
            throw new KernelLoadException(KernelLoadException.Reason.FORMAT, name + " is a zImage (loadflags without LOADED_HIGH): only bzImage kernels can be loaded at 1 MiB");
        }
        int xloadflags = h.getShort(BootParams.XLOADFLAGS) & 0xffff;
        if ((xloadflags & BootParams.XLF_KERNEL_64) == 0) {
            throw new KernelLoadException(KernelLoadException.Reason.FORMAT, String.format("%s has no 64-bit entry point (xloadflags 0x%x lacks XLF_KERNEL_64):"
                    + " Ember enters kernels in 64-bit mode and needs an x86_64 bzImage with boot protocol 2.12+ (Linux 3.8+)",
                    name, xloadflags));
        }

        int setupSects = h.get(BootParams.SETUP_SECTS) & 0xff;
        if (setupSects == 0) {
            setupSects = DEFAULT_SETUP_SECTS;
        }
        long setupSize = (long) (setupSects + 1) * SECTOR;
        if (setupSize >= file.size()) {
            throw new KernelLoadException(KernelLoadException.Reason.TRUNCATED, String.format("%s is truncated: %d setup sectors leave no protected-mode code (file is %d bytes)",
                    name, setupSects, file.size()));
        }
        long payload = file.size() - setupSize;
        long syssize = (h.getInt(BootParams.SYSSIZE) & 0xffff_ffffL) * 16;
        if (syssize > payload + 15) {
            throw new KernelLoadException(KernelLoadException.Reason.TRUNCATED, String.format("%s is truncated: the header's syssize says 0x%x bytes of protected-mode code"
                    + " but only 0x%x follow the setup sectors", name, syssize, payload));
        }

        long load = BootLayout.BZIMAGE_LOAD_ADDRESS;
        long end = load + payload;
        if (version >= PROTOCOL_INIT_SIZE) {
            // The decompressor works in [max(load, pref_address), + init_size): that memory must exist too.
            long pref = h.getLong(BootParams.PREF_ADDRESS);
            long initSize = h.getInt(BootParams.INIT_SIZE) & 0xffff_ffffL;
            end = Math.max(end, Math.max(load, pref) + initSize);
        }
        if (!mem.isValid(load, end - load)) {
            throw new KernelLoadException(KernelLoadException.Reason.MEMORY, String.format("kernel does not fit in guest memory: %s needs [0x%x, 0x%x) (code and"
                    + " decompression space, init_size) but guest RAM below the MMIO gap ends at 0x%x; give the VM more memory",
                    name, load, end, BootLayout.lowMemoryEnd(mem)));
        }

        file.loadInto(mem, setupSize, load, payload);

        // The header's own end is 0x202 + the jump's displacement byte; boot_params has room up to 0x290.
        int headerEnd = Math.min(0x202 + (h.get(0x201) & 0xff), Math.min(BootParams.HDR_AREA_END, h.limit()));
        file.loadInto(mem, BootParams.HDR, zeroPage.address() + BootParams.HDR, headerEnd - BootParams.HDR);

        long cmdlineMax = h.getInt(BootParams.CMDLINE_SIZE) & 0xffff_ffffL;
        long initrdAddrMax = h.getInt(BootParams.INITRD_ADDR_MAX) & 0xffff_ffffL;
        return new LoadedKernel(KernelFormat.BZIMAGE, load + BootLayout.BZIMAGE_ENTRY_OFFSET, load, end, cmdlineMax, initrdAddrMax);
    }
}
