/*
 * QEMU-only entry (built into testguest-qemu.elf, never into testguest.elf): QEMU's -kernel
 * boots an ELF through the PVH protocol, entering the 32-bit address in the Xen
 * PHYS32_ENTRY note with paging off and EBX = hvm_start_info. We switch to long mode with
 * the AP start-up code, build a Linux zero page from hvm_start_info, and enter _start with
 * RSI pointing at it, exactly as the VMM would.
 */
        .section .note.Xen, "a"
        .balign 4
        .long   4                       /* name size */
        .long   4                       /* descriptor size */
        .long   18                      /* XEN_ELFNOTE_PHYS32_ENTRY */
        .asciz  "Xen"
        .balign 4
        .long   pvh_entry

        .section .text
        .code32
pvh_entry:
        cli
        cld
        movl    %ebx, %esi              /* survives enter_long_mode32 (it clobbers eax/ecx/edx) */
        lgdt    gdt_ptr                 /* 32-bit base: the GDT sits below 4 GiB */
        ljmpl   $0x18, $1f
1:      movl    $pvh_long, %edi
        jmp     enter_long_mode32

        .code64
pvh_long:
        leaq    boot_stack_top(%rip), %rsp
        movl    %esi, %edi
        call    pvh_make_zero_page
        movq    %rax, %rsi
        jmp     _start

        .section .note.GNU-stack, "", @progbits
