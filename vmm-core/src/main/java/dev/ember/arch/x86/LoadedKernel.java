package dev.ember.arch.x86;

/**
 * A kernel in guest memory, with what the rest of the boot set-up must respect.
 *
 * @param format          the image format
 * @param entryPoint      guest-physical 64-bit entry (RIP)
 * @param start           lowest guest-physical address the kernel occupies
 * @param end             one past the highest guest-physical address the kernel needs, including
 *                        bss and (bzImage) the room it decompresses into
 * @param cmdlineMax      longest command line the kernel accepts, without the NUL
 * @param initrdAddrMax   highest address the initrd's last byte may have
 */
public record LoadedKernel(KernelFormat format, long entryPoint, long start, long end,
                           long cmdlineMax, long initrdAddrMax) {}
