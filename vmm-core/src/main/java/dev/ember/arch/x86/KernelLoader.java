package dev.ember.arch.x86;

import dev.ember.memory.GuestMemory;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/** Recognises a kernel image (ELF vmlinux or bzImage) and loads it into guest memory. */
public final class KernelLoader {
    private KernelLoader() {}

    /**
     * Loads {@code kernel} and fills the setup-header part of {@code zeroPage} (which the caller has
     * cleared). The rest of the zero page (command line, initrd, e820) is the caller's.
     */
    public static LoadedKernel load(GuestMemory mem, Path kernel, BootParams zeroPage) {
        try (ImageFile file = ImageFile.open(kernel, "kernel image")) {
            ByteBuffer head = file.read(0, (int) Math.min(file.size(), BootParams.HDR_AREA_END));
            if (ElfLoader.isElf(head)) {
                return ElfLoader.load(mem, file, zeroPage);
            }
            if (BzImageLoader.isBzImage(head)) {
                return BzImageLoader.load(mem, file, zeroPage);
            }
            KernelLoadException.Reason reason = head.limit() == 0 ? KernelLoadException.Reason.FILE : KernelLoadException.Reason.FORMAT;
            throw new KernelLoadException(reason, "kernel image " + kernel + " is neither an ELF vmlinux (no \\177ELF magic at offset 0)"
                    + " nor a bzImage (no \"HdrS\" at offset 0x202)" + hint(head));
        }
    }

    private static String hint(ByteBuffer head) {
        if (head.limit() >= 2 && (head.get(0) & 0xff) == 0x1f && (head.get(1) & 0xff) == 0x8b) {
            return ": it is gzip-compressed; pass the uncompressed vmlinux or arch/x86/boot/bzImage";
        }
        if (head.limit() == 0) {
            return ": the file is empty";
        }
        return "";
    }
}
