package dev.ember.arch.x86;

import dev.ember.memory.GuestMemory;
import java.nio.file.Path;

/**
 * Places an initrd as high as the kernel allows in low memory (below the MMIO gap and
 * initrd_addr_max), page aligned, above the kernel — where boot loaders traditionally put it,
 * keeping it out of the way of the kernel's early allocations.
 */
final class Initrd {
    private Initrd() {}

    /** Where an initrd went: guest-physical address and length in bytes. */
    record Placement(long address, long size) {}

    static Placement load(GuestMemory mem, Path path, LoadedKernel kernel) {
        try (ImageFile file = ImageFile.open(path, "initrd")) {
            long len = file.size();
            if (len == 0) {
                throw new KernelLoadException(KernelLoadException.Reason.FILE, "initrd " + path + " is empty: pass a cpio archive or leave the initrd out");
            }
            long top = Math.min(BootLayout.lowMemoryEnd(mem), kernel.initrdAddrMax() + 1);
            long addr = (top - len) & ~(BootLayout.PAGE_SIZE - 1);
            if (len > top || addr < kernel.end()) {
                throw new KernelLoadException(KernelLoadException.Reason.MEMORY, String.format("initrd %s (%d bytes) does not fit in guest memory: it must lie between"
                        + " the kernel's end 0x%x and 0x%x (%s); give the VM more memory or use a smaller initrd",
                        path, len, kernel.end(), top,
                        top == BootLayout.lowMemoryEnd(mem) ? "end of RAM below the MMIO gap" : "the kernel's initrd_addr_max"));
            }
            file.loadInto(mem, 0, addr, len);
            return new Placement(addr, len);
        }
    }
}
