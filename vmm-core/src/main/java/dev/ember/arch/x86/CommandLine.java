package dev.ember.arch.x86;

import dev.ember.memory.GuestMemory;
import java.nio.charset.StandardCharsets;

/** Places the kernel command line, NUL terminated, at {@link BootLayout#CMDLINE_START}. */
final class CommandLine {
    private CommandLine() {}

    /** Writes {@code cmdline} and returns its length in bytes (without the NUL). */
    static int write(GuestMemory mem, String cmdline, LoadedKernel kernel) {
        byte[] bytes = cmdline.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                throw new KernelLoadException(KernelLoadException.Reason.COMMAND_LINE, "kernel command line contains a NUL character at byte " + i + ": remove it");
            }
        }
        long max = Math.min(kernel.cmdlineMax(), BootLayout.CMDLINE_AREA_SIZE - 1);
        if (bytes.length > max) {
            throw new KernelLoadException(KernelLoadException.Reason.COMMAND_LINE, "kernel command line is " + bytes.length + " bytes but this kernel accepts at most " + max
                    + (kernel.format() == KernelFormat.BZIMAGE ? " (cmdline_size in its setup header)" : " (x86 COMMAND_LINE_SIZE - 1)")
                    + ": shorten boot_args");
        }
        mem.fill(BootLayout.CMDLINE_START, BootLayout.CMDLINE_AREA_SIZE, (byte) 0);
        mem.write(BootLayout.CMDLINE_START, bytes, 0, bytes.length);
        return bytes.length;
    }
}
