package dev.ember.seccomp.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.seccomp.ArgCondition;
import dev.ember.seccomp.SeccompAction;
import dev.ember.seccomp.SeccompFilter;
import dev.ember.seccomp.SeccompFilterException;
import dev.ember.seccomp.SyscallRule;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SeccompJsonTest {
    @TempDir
    Path dir;

    @Test
    void readsEveryFormOfTheFirecrackerShape() {
        SeccompFilter f = SeccompJson.parse("t.json", """
                {"default_action": {"errno": 1}, "filter_action": "allow", "filter": [
                  {"syscall": "read"},
                  {"syscall": "ioctl", "comment": "KVM_RUN", "args": [
                     {"arg_index": 1, "arg_type": "dword", "op": "eq", "val": 44672, "comment": "KVM_RUN"}]},
                  {"syscall": "mmap", "args": [
                     {"arg_index": 2, "arg_type": "qword", "op": {"masked_eq": 4}, "val": 0},
                     {"arg_index": 0, "arg_type": "qword", "op": "ge", "val": 18446744073709551615}]},
                  {"syscall": "clone3", "action": {"errno": 38}},
                  {"syscall": "getppid", "action": "trap"}
                ]}""");
        assertEquals(SeccompAction.errno(1), f.defaultAction());
        assertEquals(SeccompAction.ALLOW, f.matchAction());
        assertEquals(5, f.rules().size());
        SyscallRule read = f.rules().get(0);
        assertEquals(0, read.number());
        assertTrue(read.conditions().isEmpty());
        assertNull(read.action());
        ArgCondition kvmRun = f.rules().get(1).conditions().get(0);
        assertEquals(new ArgCondition(1, ArgCondition.Width.DWORD, ArgCondition.Op.EQ, 44672, 0), kvmRun);
        ArgCondition masked = f.rules().get(2).conditions().get(0);
        assertEquals(ArgCondition.Op.MASKED_EQ, masked.op());
        assertEquals(4, masked.mask());
        assertEquals(-1L, f.rules().get(2).conditions().get(1).value());
        assertEquals(435, f.rules().get(3).number());
        assertEquals(SeccompAction.errno(38), f.rules().get(3).action());
        assertEquals(SeccompAction.TRAP, f.rules().get(4).action());
    }

    private static String error(String json) {
        return assertThrows(SeccompFilterException.class, () -> SeccompJson.parse("f.json", json)).getMessage();
    }

    @Test
    void errorsNameTheFileAndThePathOfTheBadPart() {
        String base = "{\"default_action\": \"kill_process\", \"filter_action\": \"allow\", \"filter\": [%s]}";
        assertEquals("f.json: filter[0].syscall: unknown x86_64 system call \"opne\" (names as in asm/unistd_64.h, e.g. \"openat\")",
                error(base.formatted("{\"syscall\": \"opne\"}")));
        assertTrue(error(base.formatted("{\"syscall\": \"ioctl\", \"args\": [{\"arg_index\": 6, \"arg_type\": \"dword\", \"op\": \"eq\", \"val\": 1}]}"))
                .startsWith("f.json: filter[0].args[0].arg_index must be 0..5"));
        assertTrue(error(base.formatted("{\"syscall\": \"ioctl\", \"args\": [{\"arg_index\": 1, \"arg_type\": \"word\", \"op\": \"eq\", \"val\": 1}]}"))
                .startsWith("f.json: filter[0].args[0].arg_type must be \"dword\""));
        assertTrue(error(base.formatted("{\"syscall\": \"ioctl\", \"args\": [{\"arg_index\": 1, \"arg_type\": \"dword\", \"op\": \"eqq\", \"val\": 1}]}"))
                .startsWith("f.json: filter[0].args[0].op must be eq, ne, lt, le, gt, ge or {\"masked_eq\": MASK}"));
        assertTrue(error(base.formatted("{\"syscall\": \"ioctl\", \"args\": [{\"arg_index\": 1, \"arg_type\": \"dword\", \"op\": \"eq\", \"val\": 4294967296}]}"))
                .startsWith("f.json: filter[0].args[0]: val 4294967296 of a dword condition on argument 1 does not fit in 32 bits"));
        assertTrue(error(base.formatted("{\"syscall\": \"ioctl\", \"args\": [{\"arg_index\": 1, \"arg_type\": \"qword\", \"op\": \"eq\", \"val\": 18446744073709551616}]}"))
                .startsWith("f.json: filter[0].args[0].val 18446744073709551616 does not fit in 64 bits"));
        assertTrue(error(base.formatted("{\"syscall\": \"read\", \"arg\": []}")).startsWith("f.json: filter[0]: unknown field \"arg\""));
        assertTrue(error(base.formatted("{\"syscall\": \"read\", \"action\": {\"errno\": 5000}}"))
                .startsWith("f.json: filter[0].action.errno must be an errno number 0..4095"));
        assertTrue(error("{\"filter_action\": \"allow\", \"filter\": []}").startsWith("f.json: default_action is missing"));
        assertTrue(error("{\"default_action\": \"deny\", \"filter_action\": \"allow\", \"filter\": []}")
                .startsWith("f.json: default_action must be allow, kill_process, kill_thread, trap, log or {\"errno\": N}"));
        assertTrue(error("{\"default_action\": \"allow\",").startsWith("f.json: not valid JSON"));
        assertTrue(error("{\"vmm\": {}}").startsWith("f.json: unknown field \"vmm\""));
    }

    @Test
    void filterFilesThatAreMissingAreNamed() {
        Path missing = dir.resolve("nope.json");
        SeccompFilterException e = assertThrows(SeccompFilterException.class, () -> SeccompFilters.load(missing));
        assertEquals("--seccomp-filter " + missing + ": no such file", e.getMessage());
    }

    @Test
    void filterFilesAreRead() throws Exception {
        Path file = dir.resolve("f.json");
        Files.writeString(file, "{\"default_action\": \"trap\", \"filter_action\": \"allow\", \"filter\": [{\"syscall\": \"futex\"}]}");
        SeccompFilter f = SeccompFilters.load(file).get("vmm");
        assertEquals(SeccompAction.TRAP, f.defaultAction());
        assertEquals(202, f.rules().get(0).number());
    }
}
