package dev.ember.arch.x86;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every zero-page offset the loader uses, checked against the kernel's own {@code struct
 * boot_params}/{@code struct setup_header}/{@code struct boot_e820_entry} from
 * {@code <asm/bootparam.h>} (linux-libc-dev), and the ELF offsets against {@code <elf.h>}.
 */
class BootParamsLayoutTest {
    @TempDir
    Path dir;

    private static final String SOURCE = """
            #include <stddef.h>
            #include <stdio.h>
            #include <elf.h>
            #include <asm/bootparam.h>
            #define BP(f) printf("bp.%s %zu\\n", #f, offsetof(struct boot_params, f))
            #define HDR(f) printf("hdr.%s %zu\\n", #f, offsetof(struct boot_params, hdr) + offsetof(struct setup_header, f))
            #define E820(f) printf("e820.%s %zu\\n", #f, offsetof(struct boot_e820_entry, f))
            #define EH(f) printf("ehdr.%s %zu\\n", #f, offsetof(Elf64_Ehdr, f))
            #define PH(f) printf("phdr.%s %zu\\n", #f, offsetof(Elf64_Phdr, f))
            #define V(n, v) printf("%s %lld\\n", n, (long long)(v))
            int main(void) {
                V("sizeof.boot_params", sizeof(struct boot_params));
                V("sizeof.boot_e820_entry", sizeof(struct boot_e820_entry));
                V("E820_MAX_ENTRIES_ZEROPAGE", E820_MAX_ENTRIES_ZEROPAGE);
                V("hdr.end", offsetof(struct boot_params, hdr) + sizeof(struct setup_header));
                V("_pad7.end", offsetof(struct boot_params, edd_mbr_sig_buffer));
                BP(acpi_rsdp_addr); BP(ext_ramdisk_image); BP(ext_ramdisk_size); BP(ext_cmd_line_ptr);
                BP(e820_entries); BP(sentinel); BP(hdr); BP(e820_table);
                HDR(setup_sects); HDR(syssize); HDR(boot_flag); HDR(jump); HDR(header); HDR(version);
                HDR(type_of_loader); HDR(loadflags); HDR(code32_start); HDR(ramdisk_image); HDR(ramdisk_size);
                HDR(heap_end_ptr); HDR(cmd_line_ptr); HDR(initrd_addr_max); HDR(kernel_alignment);
                HDR(relocatable_kernel); HDR(xloadflags); HDR(cmdline_size); HDR(pref_address); HDR(init_size);
                E820(addr); E820(size); E820(type);
                V("LOADED_HIGH", LOADED_HIGH); V("CAN_USE_HEAP", CAN_USE_HEAP);
                V("XLF_KERNEL_64", XLF_KERNEL_64); V("XLF_CAN_BE_LOADED_ABOVE_4G", XLF_CAN_BE_LOADED_ABOVE_4G);
                V("sizeof.Elf64_Ehdr", sizeof(Elf64_Ehdr)); V("sizeof.Elf64_Phdr", sizeof(Elf64_Phdr));
                V("EI_CLASS", EI_CLASS); V("EI_DATA", EI_DATA); V("EI_VERSION", EI_VERSION);
                EH(e_type); EH(e_machine); EH(e_version); EH(e_entry); EH(e_phoff); EH(e_phentsize); EH(e_phnum);
                PH(p_type); PH(p_offset); PH(p_paddr); PH(p_filesz); PH(p_memsz);
                V("ELFCLASS64", ELFCLASS64); V("ELFDATA2LSB", ELFDATA2LSB); V("ET_EXEC", ET_EXEC); V("ET_DYN", ET_DYN);
                V("EM_X86_64", EM_X86_64); V("PT_LOAD", PT_LOAD); V("PN_XNUM", PN_XNUM);
                return 0;
            }
            """;

    @Test
    void constantsMatchKernelHeaders() throws Exception {
        Map<String, Long> c = CLayout.run(dir, SOURCE, List.of());
        Map<String, Long> expected = new LinkedHashMap<>();
        expected.put("sizeof.boot_params", (long) BootParams.SIZE);
        expected.put("sizeof.boot_e820_entry", (long) BootParams.E820_ENTRY_SIZE);
        expected.put("E820_MAX_ENTRIES_ZEROPAGE", (long) BootParams.E820_MAX_ENTRIES);
        expected.put("_pad7.end", (long) BootParams.HDR_AREA_END);
        expected.put("bp.ext_ramdisk_image", (long) BootParams.EXT_RAMDISK_IMAGE);
        expected.put("bp.ext_ramdisk_size", (long) BootParams.EXT_RAMDISK_SIZE);
        expected.put("bp.acpi_rsdp_addr", (long) BootParams.ACPI_RSDP_ADDR);
        expected.put("bp.ext_cmd_line_ptr", (long) BootParams.EXT_CMD_LINE_PTR);
        expected.put("bp.e820_entries", (long) BootParams.E820_ENTRIES);
        expected.put("bp.sentinel", (long) BootParams.SENTINEL);
        expected.put("bp.hdr", (long) BootParams.HDR);
        expected.put("bp.e820_table", (long) BootParams.E820_TABLE);
        expected.put("hdr.setup_sects", (long) BootParams.SETUP_SECTS);
        expected.put("hdr.syssize", (long) BootParams.SYSSIZE);
        expected.put("hdr.boot_flag", (long) BootParams.BOOT_FLAG);
        expected.put("hdr.jump", (long) BootParams.JUMP);
        expected.put("hdr.header", (long) BootParams.HEADER);
        expected.put("hdr.version", (long) BootParams.VERSION);
        expected.put("hdr.type_of_loader", (long) BootParams.TYPE_OF_LOADER);
        expected.put("hdr.loadflags", (long) BootParams.LOADFLAGS);
        expected.put("hdr.code32_start", (long) BootParams.CODE32_START);
        expected.put("hdr.ramdisk_image", (long) BootParams.RAMDISK_IMAGE);
        expected.put("hdr.ramdisk_size", (long) BootParams.RAMDISK_SIZE);
        expected.put("hdr.heap_end_ptr", (long) BootParams.HEAP_END_PTR);
        expected.put("hdr.cmd_line_ptr", (long) BootParams.CMD_LINE_PTR);
        expected.put("hdr.initrd_addr_max", (long) BootParams.INITRD_ADDR_MAX);
        expected.put("hdr.kernel_alignment", (long) BootParams.KERNEL_ALIGNMENT);
        expected.put("hdr.relocatable_kernel", (long) BootParams.RELOCATABLE_KERNEL);
        expected.put("hdr.xloadflags", (long) BootParams.XLOADFLAGS);
        expected.put("hdr.cmdline_size", (long) BootParams.CMDLINE_SIZE);
        expected.put("hdr.pref_address", (long) BootParams.PREF_ADDRESS);
        expected.put("hdr.init_size", (long) BootParams.INIT_SIZE);
        expected.put("e820.addr", (long) BootParams.E820_ADDR);
        expected.put("e820.size", (long) BootParams.E820_SIZE);
        expected.put("e820.type", (long) BootParams.E820_TYPE);
        expected.put("LOADED_HIGH", (long) BootParams.LOADED_HIGH);
        expected.put("CAN_USE_HEAP", (long) BootParams.CAN_USE_HEAP);
        expected.put("XLF_KERNEL_64", (long) BootParams.XLF_KERNEL_64);
        expected.put("XLF_CAN_BE_LOADED_ABOVE_4G", (long) BootParams.XLF_CAN_BE_LOADED_ABOVE_4G);
        expected.put("sizeof.Elf64_Ehdr", (long) Elf64.EHDR_SIZE);
        expected.put("sizeof.Elf64_Phdr", (long) Elf64.PHDR_SIZE);
        expected.put("EI_CLASS", (long) Elf64.E_IDENT_CLASS);
        expected.put("EI_DATA", (long) Elf64.E_IDENT_DATA);
        expected.put("EI_VERSION", (long) Elf64.E_IDENT_VERSION);
        expected.put("ehdr.e_type", (long) Elf64.E_TYPE);
        expected.put("ehdr.e_machine", (long) Elf64.E_MACHINE);
        expected.put("ehdr.e_version", (long) Elf64.E_VERSION);
        expected.put("ehdr.e_entry", (long) Elf64.E_ENTRY);
        expected.put("ehdr.e_phoff", (long) Elf64.E_PHOFF);
        expected.put("ehdr.e_phentsize", (long) Elf64.E_PHENTSIZE);
        expected.put("ehdr.e_phnum", (long) Elf64.E_PHNUM);
        expected.put("phdr.p_type", (long) Elf64.P_TYPE);
        expected.put("phdr.p_offset", (long) Elf64.P_OFFSET);
        expected.put("phdr.p_paddr", (long) Elf64.P_PADDR);
        expected.put("phdr.p_filesz", (long) Elf64.P_FILESZ);
        expected.put("phdr.p_memsz", (long) Elf64.P_MEMSZ);
        expected.put("ELFCLASS64", (long) Elf64.ELFCLASS64);
        expected.put("ELFDATA2LSB", (long) Elf64.ELFDATA2LSB);
        expected.put("ET_EXEC", (long) Elf64.ET_EXEC);
        expected.put("ET_DYN", (long) Elf64.ET_DYN);
        expected.put("EM_X86_64", (long) Elf64.EM_X86_64);
        expected.put("PT_LOAD", (long) Elf64.PT_LOAD);
        expected.put("PN_XNUM", (long) Elf64.PN_XNUM);
        for (Map.Entry<String, Long> e : expected.entrySet()) {
            assertNotNull(c.get(e.getKey()), "layout program did not print " + e.getKey());
            assertEquals(c.get(e.getKey()), e.getValue(), e.getKey());
        }
        // The header copied from a bzImage must end inside boot_params' room for it.
        long hdrEnd = c.get("hdr.end");
        assertTrue(hdrEnd <= BootParams.HDR_AREA_END, "setup_header ends at 0x" + Long.toHexString(hdrEnd));
    }
}
