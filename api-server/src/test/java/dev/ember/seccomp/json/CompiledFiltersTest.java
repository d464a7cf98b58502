package dev.ember.seccomp.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.seccomp.BpfCompiler;
import dev.ember.seccomp.BpfFilterFile;
import dev.ember.seccomp.BpfProgram;
import dev.ember.seccomp.SeccompFilter;
import dev.ember.seccomp.SeccompFilterException;
import dev.ember.testing.ChildJvm;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The built-in filters compiled by the build (default.bpf), and the compiled-file format. */
class CompiledFiltersTest {
    @TempDir
    Path dir;

    /** Fails when the build did not compile default.json, or compiled an older version of it. */
    @Test
    void theBuildCompiledTheBuiltInJsonInstructionForInstruction() {
        Map<String, SeccompFilter> source = SeccompFilters.loadDefaultSource();
        Map<String, BpfProgram> compiled = SeccompFilters.compiledDefault();
        assertEquals(List.copyOf(source.keySet()), List.copyOf(compiled.keySet()));
        source.forEach((category, filter) -> assertEquals(BpfCompiler.compile(filter).toString(), compiled.get(category).toString(), category));
    }

    @Test
    void aCompiledFileReadsBackAsWritten() {
        Map<String, BpfProgram> programs = SeccompCompiler.compileAll(SeccompFilters.loadDefaultSource());
        byte[] bytes = BpfFilterFile.write(programs);
        assertTrue(BpfFilterFile.isCompiled(bytes));
        Map<String, BpfProgram> back = BpfFilterFile.read("f.bpf", new ByteArrayInputStream(bytes));
        programs.forEach((k, p) -> assertEquals(p.toString(), back.get(k).toString(), k));
    }

    @Test
    void brokenCompiledFilesAreNamedNotInstalled() {
        byte[] bytes = BpfFilterFile.write(SeccompCompiler.compileAll(SeccompFilters.loadDefaultSource()));
        SeccompFilterException cut = assertThrows(SeccompFilterException.class,
                () -> BpfFilterFile.read("f.bpf", new ByteArrayInputStream(Arrays.copyOf(bytes, bytes.length - 3))));
        assertEquals("f.bpf: truncated compiled filter file", cut.getMessage());
        SeccompFilterException extra = assertThrows(SeccompFilterException.class,
                () -> BpfFilterFile.read("f.bpf", new ByteArrayInputStream(Arrays.copyOf(bytes, bytes.length + 1))));
        assertEquals("f.bpf: bytes after the last filter", extra.getMessage());
        byte[] other = bytes.clone();
        other[0] = 'X';
        assertFalse(BpfFilterFile.isCompiled(other));
        SeccompFilterException magic = assertThrows(SeccompFilterException.class,
                () -> BpfFilterFile.read("f.bpf", new ByteArrayInputStream(other)));
        assertTrue(magic.getMessage().contains("bad magic"), magic.getMessage());
    }

    /** seccompiler's output given to --seccomp-filter is installed as it is, JSON is compiled at launch. */
    @Test
    void theCompilerWritesAFileThatSeccompFilterAccepts() throws Exception {
        Path json = Files.writeString(dir.resolve("f.json"),
                "{\"default_action\": \"allow\", \"filter_action\": \"kill_process\", \"filter\": [{\"syscall\": \"fsync\"}]}");
        Path bpf = dir.resolve("f.bpf");
        Files.write(bpf, SeccompCompiler.compile(json));
        assertEquals(SeccompFilters.compiled(json).get("vmm").toString(), SeccompFilters.compiled(bpf).get("vmm").toString());
    }

    /**
     * The start-up path reads the compiled file: installing the built-in filters loads no Jackson
     * class and neither the JSON reader nor the compiler (each costs start-up CPU).
     */
    @Test
    void installingTheBuiltInFiltersLoadsNoJsonParserAndNoCompiler() throws Exception {
        ChildJvm.Result r = ChildJvm.run(DefaultFilterProbe.class, List.of("-Xlog:class+load=info:stdout"), List.of("-"));
        assertEquals(0, r.exitCode(), r.describe());
        String beforeInstalled = r.stdout().substring(0, r.stdout().indexOf("\ninstalled"));
        assertTrue(beforeInstalled.contains("dev.ember.seccomp.BpfFilterFile"), "class loading is not logged as expected");
        for (String never : List.of("com.fasterxml.jackson", "dev.ember.seccomp.json.SeccompJson", "dev.ember.seccomp.BpfCompiler ")) {
            assertFalse(beforeInstalled.contains(never), never + " was loaded to install the built-in filters");
        }
    }
}
