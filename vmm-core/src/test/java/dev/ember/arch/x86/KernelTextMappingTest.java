package dev.ember.arch.x86;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.memory.GuestMemory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The triple-fault check of the guest kernel's text mapping: symbols read from an ELF that gcc
 * linked with them, and page tables laid out in guest memory as Linux's head_64.S lays its own
 * (level3_kernel_pgt[510] → level2_kernel_pgt of 2 MiB pages, one of them split into 4 KiB PTEs).
 */
class KernelTextMappingTest {
    private static final long LEVEL3 = 0x1a0c000, LEVEL2 = 0x1a0d000, PT = 0x1a0e000, TOP = 0x1a09000, PROCESS_PGD = 0x300_0000;
    private static final long TEXT = 0xffff_ffff_8100_0000L, ETEXT = 0xffff_ffff_8160_0110L;

    @TempDir
    Path dir;

    @Test
    void symbolsComeFromTheElfSymbolTable() throws Exception {
        Path elf = linked("level3_kernel_pgt=0xffffffff81a0c000", "init_top_pgt=0xffffffff81a09000", "_text=0xffffffff81000000",
                "_etext=0xffffffff81600110");
        assertArrayEquals(new long[] {0xffff_ffff_81a0_c000L, TEXT, ETEXT},
                KernelTextMapping.symbols(elf, "level3_kernel_pgt", "_text", "_etext"));
        assertNull(KernelTextMapping.symbols(elf, "level3_kernel_pgt", "no_such_symbol"));
        assertNull(KernelTextMapping.of(linked("_text=0xffffffff81000000")), "no level3_kernel_pgt: no check");
        Path notElf = Files.writeString(dir.resolve("bzImage"), "MZ not an ELF");
        assertNull(KernelTextMapping.of(notElf));
    }

    @Test
    void intactTablesAreSaidToBeIntactAndEachKindOfDamageIsNamed() throws Exception {
        KernelTextMapping check = new KernelTextMapping(LEVEL3, TOP, TEXT, ETEXT);
        try (GuestMemory mem = GuestMemory.create(64 << 20)) {
            String early = check.describe(mem);
            assertTrue(early.endsWith("init_top_pgt not filled in yet (slot 511 = 0x0)"), early);
            for (long pgd : new long[] {TOP, PROCESS_PGD}) { // a process's directory: a copy of the kernel half
                mem.putLong(pgd + 8 * 273, 0x1b0_0000L | 0x63);
                mem.putLong(pgd + 8 * 511, LEVEL3 | 0x67);
            }
            mem.putLong(PROCESS_PGD, 0x123_4000L | 0x67); // its user half is its own
            mem.putLong(LEVEL3 + 8 * 510, LEVEL2 | 0x63);
            for (int i = 8; i < 11; i++) { // 0x81000000.. 0x81600000: three 2 MiB pages at 16 MiB
                mem.putLong(LEVEL2 + 8L * i, (0x100_0000L + (i - 8) * 0x20_0000L) | 0x1e3);
            }
            mem.putLong(LEVEL2 + 8 * 11, PT | 0x63); // the last one, 0x81600000, split into 4 KiB pages
            mem.putLong(PT, 0x160_0000L | 0x163);
            String ok = check.describe(mem);
            assertTrue(ok.contains(": 9 entries read, all present and inside guest RAM; 2 page directories found"
                    + " (kernel half as init_top_pgt's), each with slot 511 = 0x1a0c067 as init_top_pgt"), ok);

            mem.putLong(PROCESS_PGD + 8 * 511, 0);
            String damagedDirectory = check.describe(mem);
            assertTrue(damagedDirectory.endsWith("slot 511 differs from init_top_pgt's 0x1a0c067 in: 0x3000000 has 0x0000000000000000"),
                    damagedDirectory);
            mem.putLong(PROCESS_PGD + 8 * 511, LEVEL3 | 0x67);

            mem.putLong(PT, 0);
            String notPresent = check.describe(mem);
            assertTrue(notPresent.contains("1 bad: PTE for 0xffffffff81600000 at GPA 0x1a0e000 = 0x0000000000000000 (not present)"), notPresent);

            mem.putLong(PT, 0x160_0000L | 0x163);
            mem.putLong(LEVEL2 + 8 * 9, 0x7_0000_0000L | 0x1e3);
            String outside = check.describe(mem);
            assertTrue(outside.contains("PMD for 0xffffffff81200000 at GPA 0x1a0d048 = 0x00000007000001e3 (points outside guest RAM)"), outside);

            mem.putLong(LEVEL3 + 8 * 510, 0);
            String noPud = check.describe(mem);
            assertEquals(4, noPud.split("PUD for ").length - 1, noPud);
        }
    }

    private Path linked(String... symbols) throws Exception {
        Path src = Files.writeString(dir.resolve("start.S"), ".globl _start\n.text\n_start: hlt\n");
        Path out = dir.resolve("vmlinux-" + symbols.length);
        var cmd = new java.util.ArrayList<>(java.util.List.of("gcc", "-nostdlib", "-static", "-no-pie", "-o", out.toString(), src.toString()));
        for (String s : symbols) {
            cmd.add("-Wl,--defsym," + s);
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "gcc: " + log);
        return out;
    }
}
