/*
 * Preprocessed with cpp (-DQEMU_PVH for the QEMU build).
 * The test guest is linked and loaded at 1 MiB, virtual == physical (the VMM loads each
 * PT_LOAD at p_paddr and enters e_entry in 64-bit mode). Stacks sit past __bss_end in
 * .stack so the entry code clears only the small .bss.
 */
OUTPUT_FORMAT("elf64-x86-64")
OUTPUT_ARCH(i386:x86-64)
ENTRY(_start)

PHDRS
{
    text PT_LOAD FLAGS(5);   /* R X */
    data PT_LOAD FLAGS(6);   /* R W */
#ifdef QEMU_PVH
    note PT_NOTE FLAGS(4);   /* the PVH entry note QEMU looks for */
#endif
}

SECTIONS
{
    . = 0x100000;
    __image_start = .;

    .text : {
        *(.text.entry)
        *(.text .text.*)
    } :text
#ifdef QEMU_PVH
    .note.Xen : { *(.note.Xen) } :text :note
#endif
    .rodata : { *(.rodata .rodata.*) } :text

    . = ALIGN(4096);
    .data : {
        *(.data.pagetables)
        *(.data .data.*)
    } :data
    .bss : {
        __bss_start = .;
        *(.bss .bss.*)
        *(COMMON)
        . = ALIGN(8);
        __bss_end = .;
    } :data
    .stack : {
        *(.stack)
    } :data
    . = ALIGN(4096);
    __image_end = .;

    /DISCARD/ : {
        *(.comment) *(.eh_frame) *(.eh_frame_hdr) *(.note.gnu.*) *(.note.GNU-stack)
    }
}
