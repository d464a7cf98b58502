/*
 * Entry, descriptor tables, page tables, interrupt stubs and the AP start-up path.
 *
 * The VMM enters _start in 64-bit mode with its own page tables (first 1 GiB identity mapped),
 * RSI = boot_params, IF = 0. We switch at once to tables that live in the image, so nothing
 * the VMM wrote in low memory is needed after boot_params has been copied.
 */

#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define KERNEL_CS32 0x18

/* ------------------------------------------------------------------------------------------ */
        .section .text.entry, "ax"
        .code64
        .globl _start
_start:
        cli
        cld
        movq    %rsi, %r12                      /* boot_params, kept for kmain */
        leaq    boot_stack_top(%rip), %rsp
        lgdt    gdt_ptr(%rip)
        pushq   $KERNEL_CS                      /* reload CS through a far return */
        leaq    1f(%rip), %rax
        pushq   %rax
        lretq
1:      movl    $KERNEL_DS, %eax
        movl    %eax, %ds
        movl    %eax, %es
        movl    %eax, %ss
        movl    %eax, %fs
        movl    %eax, %gs
        leaq    pml4(%rip), %rax                /* our own identity map of 0..4 GiB */
        movq    %rax, %cr3
        leaq    __bss_start(%rip), %rdi         /* .bss is small (the stacks are not in it) */
        leaq    __bss_end(%rip), %rcx
        subq    %rdi, %rcx
        shrq    $3, %rcx
        xorl    %eax, %eax
        rep stosq
        movq    %r12, %rdi
        call    kmain
2:      cli
        hlt
        jmp     2b

/* ------------------------------------------------------------------------------------------
 * Interrupt stubs: 256 slots of 16 bytes, stub for vector v at isr_stubs + 16 * v. Each pushes
 * a zero error code when the CPU does not push one, then the vector, then joins isr_common.
 */
        .section .text
        .balign 16
        .globl isr_stubs
isr_stubs:
        .set vec, 0
        .rept 256
        .balign 16
        .if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
        .else
        pushq   $0
        .endif
        pushq   $vec
        jmp     isr_common
        .set vec, vec + 1
        .endr

/* Saves the registers C may clobber (C keeps the others), then calls isr_dispatch(frame).
 * Entry RSP is 16-byte aligned by the CPU; 5 CPU words + 2 stub words + 9 saves = 16 words,
 * so RSP is aligned again at the call. */
isr_common:
        pushq   %rax
        pushq   %rcx
        pushq   %rdx
        pushq   %rsi
        pushq   %rdi
        pushq   %r8
        pushq   %r9
        pushq   %r10
        pushq   %r11
        movq    %rsp, %rdi
        cld
        call    isr_dispatch
        popq    %r11
        popq    %r10
        popq    %r9
        popq    %r8
        popq    %rdi
        popq    %rsi
        popq    %rdx
        popq    %rcx
        popq    %rax
        addq    $16, %rsp                       /* vector and error code */
        iretq

/* ------------------------------------------------------------------------------------------
 * AP start-up. smp.c copies [ap_trampoline, ap_trampoline_end) to a page below 1 MiB and
 * sends it as the SIPI vector. The AP starts there in real mode with CS = page >> 4, IP = 0;
 * everything after the GDT load runs from the image at its linked address.
 */
        .code16
        .globl ap_trampoline, ap_trampoline_end
ap_trampoline:
        cli
        movw    %cs, %ax
        movw    %ax, %ds
        lgdtl   (ap_gdtr - ap_trampoline)
        movl    %cr0, %eax
        orl     $1, %eax                        /* PE */
        movl    %eax, %cr0
        ljmpl   $KERNEL_CS32, $ap_pm32
        .balign 4
ap_gdtr:
        .word   gdt_end - gdt - 1
        .long   gdt
ap_trampoline_end:

        .code32
/* Protected mode, paging off: enable PAE, our page tables, EFER.LME, then paging. Shared with
 * the PVH entry used for QEMU (qemu/pvh.S), which arrives here in the same state. */
        .globl enter_long_mode32
ap_pm32:
        movl    $ap_long, %edi
enter_long_mode32:                              /* EDI = 64-bit code to continue at */
        movl    $KERNEL_DS, %eax
        movl    %eax, %ds
        movl    %eax, %es
        movl    %eax, %ss
        movl    %eax, %fs
        movl    %eax, %gs
        movl    %cr4, %eax
        orl     $0x20, %eax                     /* PAE */
        movl    %eax, %cr4
        movl    $pml4, %eax
        movl    %eax, %cr3
        movl    $0xC0000080, %ecx               /* IA32_EFER */
        rdmsr
        orl     $0x100, %eax                    /* LME */
        wrmsr
        movl    %cr0, %eax
        orl     $0x80000001, %eax               /* PG | PE */
        movl    %eax, %cr0
        ljmpl   $KERNEL_CS, $long_trampoline

        .code64
long_trampoline:
        movl    %edi, %edi
        jmpq    *%rdi

/* 64-bit AP path: take an index, take the stack smp.c prepared for it, run ap_main(index). */
ap_long:
        movl    $1, %eax
        lock xaddl %eax, ap_next_index(%rip)
        movl    %eax, %edi
        leaq    ap_stack_tops(%rip), %rdx
        movq    (%rdx,%rdi,8), %rsp
        call    ap_main
3:      cli
        hlt
        jmp     3b

/* ------------------------------------------------------------------------------------------ */
        .section .data
        .balign 16
        .globl gdt, gdt_ptr
gdt:
        .quad   0
        .quad   0x00af9b000000ffff              /* 0x08: 64-bit code */
        .quad   0x00cf93000000ffff              /* 0x10: flat data */
        .quad   0x00cf9b000000ffff              /* 0x18: 32-bit code (AP start-up, PVH) */
gdt_end:
        .balign 16
gdt_ptr:
        .word   gdt_end - gdt - 1
        .quad   gdt

/* Identity map of 0..8 GiB with 2 MiB pages, built by the assembler so boot costs no
 * instructions. 0xD0000000 to 4 GiB (virtio-mmio, boot timer, IOAPIC, LAPIC) is uncached;
 * 4..8 GiB is where the VMM puts device memory (virtio-pmem regions), cached like RAM. */
        .section .data.pagetables, "aw"
        .balign 4096
        .globl pml4
pml4:
        .quad   pdpt + 0x3                      /* present, writable */
        .fill   511, 8, 0
pdpt:
        .quad   pd + 0x3
        .quad   pd + 0x1000 + 0x3
        .quad   pd + 0x2000 + 0x3
        .quad   pd + 0x3000 + 0x3
        .quad   pd + 0x4000 + 0x3
        .quad   pd + 0x5000 + 0x3
        .quad   pd + 0x6000 + 0x3
        .quad   pd + 0x7000 + 0x3
        .fill   504, 8, 0
pd:
        .set    addr, 0
        .rept   4096
        .if     addr >= 0xD0000000 && addr < 0x100000000
        .quad   addr + 0x9b                     /* present, writable, PWT, PCD, 2 MiB */
        .else
        .quad   addr + 0x83                     /* present, writable, 2 MiB */
        .endif
        .set    addr, addr + 0x200000
        .endr

/* Stacks are outside .bss so the boot code need not clear them. */
        .section .stack, "aw", @nobits
        .balign 16
        .space  16384
        .globl boot_stack_top
boot_stack_top:

        .section .note.GNU-stack, "", @progbits
