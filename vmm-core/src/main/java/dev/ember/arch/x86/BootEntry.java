package dev.ember.arch.x86;

/**
 * What the loader leaves for the vCPU set-up: where the boot vCPU enters the kernel in 64-bit
 * mode and the descriptor tables and page tables it wrote into guest memory.
 *
 * @param entryPoint guest-physical 64-bit entry (RIP)
 * @param zeroPage   guest-physical address of boot_params (RSI at entry)
 * @param stackPointer initial RSP
 * @param pml4       guest-physical address of the identity-mapping PML4 (CR3)
 */
public record BootEntry(long entryPoint, long zeroPage, long stackPointer, long pml4,
                        long gdtBase, int gdtLimit, long idtBase, int idtLimit) {
    /** GDT selectors the loader's GDT provides. */
    public static final int CODE_SELECTOR = 0x08, DATA_SELECTOR = 0x10, TSS_SELECTOR = 0x18;
}
