package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class L1SymbolsTest {
    private static final String LOOP = "       fc_vcpu 0-271     [000] .....   206.938524: kvm_exit: vcpu 0 reason npf rip 0xffffffffc061e20c"
            + " info1 0x000000020000000e info2 0x0000000102f1aff8 intr_info 0x80000b0e error_code 0x00000010";
    private static final String IO = "       fc_vcpu 1-1076    [000] .....   431.571004: kvm_exit: vcpu 1 reason io rip 0xffffffff811fde03"
            + " info1 0x0000000003f80010 info2 0xffffffff811fde04 intr_info 0x00000000 error_code 0x00000000";

    @Test
    void theLastModuleAreaExitsRipIsRead() {
        assertEquals(0xffffffffc061e20cL, L1Symbols.lastModuleAreaExitRip(List.of(IO, "       fc_vcpu 0-271 [000] kvm_inj_exception: #PF (0x10)", LOOP)));
        assertEquals(0xffffffffc061e20cL, L1Symbols.lastModuleAreaExitRip(List.of(LOOP, IO)), "another vCPU exiting last");
        assertEquals(0, L1Symbols.lastModuleAreaExitRip(List.of("no exits here", IO)));
    }

    @Test
    void aModuleAreaRipIsNamedByL1sNearestSymbolBelowIt(@TempDir Path dir) throws IOException {
        Path kallsyms = dir.resolve("kallsyms");
        Files.write(kallsyms, List.of(
                "ffffffff81000000 T _stext",
                "ffffffffc061e000 t svm_vcpu_enter_exit\t[kvm_amd]",
                "ffffffffc061e1f0 T __svm_vcpu_run\t[kvm_amd]",
                "ffffffffc061e300 t svm_handle_exit\t[kvm_amd]",
                "0000000000000000 A fixed_percpu_data"));
        String note = L1Symbols.note(List.of(IO, LOOP, IO), kallsyms);
        assertTrue(note.endsWith("L1's own symbol there: __svm_vcpu_run+0x1c [kvm_amd]"), note);
    }

    @Test
    void onlyL2KernelRipsGetNoNote(@TempDir Path dir) throws IOException {
        Path kallsyms = dir.resolve("kallsyms");
        Files.write(kallsyms, List.of("ffffffff81000000 T _stext"));
        assertNull(L1Symbols.note(List.of(IO, IO), kallsyms));
    }
}
