package dev.ember.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import dev.ember.testing.CProbe;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The structs and constants the seccomp compiler and installer hand to the kernel, against the headers. */
class SockFilterLayoutTest {
    @TempDir
    Path dir;

    @Test
    void structsAndConstantsMatchTheKernelHeaders() throws Exception {
        Map<String, Long> c = CProbe.run(dir,
                "#include <linux/filter.h>\n#include <linux/seccomp.h>\n#include <linux/audit.h>\n#include <sys/prctl.h>\n#include <sys/syscall.h>",
                "sf_size", "sizeof(struct sock_filter)",
                "sf_code", "offsetof(struct sock_filter, code)",
                "sf_jt", "offsetof(struct sock_filter, jt)",
                "sf_jf", "offsetof(struct sock_filter, jf)",
                "sf_k", "offsetof(struct sock_filter, k)",
                "fp_size", "sizeof(struct sock_fprog)",
                "fp_len", "offsetof(struct sock_fprog, len)",
                "fp_filter", "offsetof(struct sock_fprog, filter)",
                "sd_nr", "offsetof(struct seccomp_data, nr)",
                "sd_arch", "offsetof(struct seccomp_data, arch)",
                "sd_args", "offsetof(struct seccomp_data, args)",
                "arch", "AUDIT_ARCH_X86_64",
                "x32", "__X32_SYSCALL_BIT",
                "maxinsns", "BPF_MAXINSNS",
                "ld_w_abs", "BPF_LD|BPF_W|BPF_ABS",
                "alu_and_k", "BPF_ALU|BPF_AND|BPF_K",
                "ret_k", "BPF_RET|BPF_K",
                "ja", "BPF_JMP|BPF_JA",
                "jeq", "BPF_JMP|BPF_JEQ|BPF_K",
                "jgt", "BPF_JMP|BPF_JGT|BPF_K",
                "jge", "BPF_JMP|BPF_JGE|BPF_K",
                "ret_allow", "SECCOMP_RET_ALLOW",
                "ret_errno", "SECCOMP_RET_ERRNO",
                "ret_kill_process", "SECCOMP_RET_KILL_PROCESS",
                "ret_kill_thread", "SECCOMP_RET_KILL_THREAD",
                "ret_trap", "SECCOMP_RET_TRAP",
                "ret_log", "SECCOMP_RET_LOG",
                "set_mode_filter", "SECCOMP_SET_MODE_FILTER",
                "tsync", "SECCOMP_FILTER_FLAG_TSYNC",
                "no_new_privs", "PR_SET_NO_NEW_PRIVS",
                "get_no_new_privs", "PR_GET_NO_NEW_PRIVS",
                "get_seccomp", "PR_GET_SECCOMP",
                "nr_seccomp", "SYS_seccomp",
                "nr_prctl", "SYS_prctl");
        assertEquals(SockFilter.SIZE, c.get("sf_size"));
        assertEquals(SockFilter.CODE, c.get("sf_code"));
        assertEquals(SockFilter.JT, c.get("sf_jt"));
        assertEquals(SockFilter.JF, c.get("sf_jf"));
        assertEquals(SockFilter.K, c.get("sf_k"));
        assertEquals(SockFilter.FPROG_SIZE, c.get("fp_size"));
        assertEquals(SockFilter.FPROG_LEN, c.get("fp_len"));
        assertEquals(SockFilter.FPROG_FILTER, c.get("fp_filter"));
        assertEquals(BpfCompiler.DATA_NR, c.get("sd_nr"));
        assertEquals(BpfCompiler.DATA_ARCH, c.get("sd_arch"));
        assertEquals(BpfCompiler.DATA_ARGS, c.get("sd_args"));
        assertEquals(BpfCompiler.AUDIT_ARCH_X86_64 & 0xffffffffL, c.get("arch"));
        assertEquals(BpfCompiler.X32_SYSCALL_BIT, c.get("x32"));
        assertEquals(BpfProgram.MAX_INSTRUCTIONS, c.get("maxinsns"));
        assertEquals(BpfCompiler.BPF_LD | BpfCompiler.BPF_W | BpfCompiler.BPF_ABS, c.get("ld_w_abs"));
        assertEquals(BpfCompiler.BPF_ALU | BpfCompiler.BPF_AND | BpfCompiler.BPF_K, c.get("alu_and_k"));
        assertEquals(BpfCompiler.BPF_RET | BpfCompiler.BPF_K, c.get("ret_k"));
        assertEquals(BpfCompiler.BPF_JMP | BpfCompiler.BPF_JA, c.get("ja"));
        assertEquals(BpfCompiler.BPF_JMP | BpfCompiler.BPF_JEQ | BpfCompiler.BPF_K, c.get("jeq"));
        assertEquals(BpfCompiler.BPF_JMP | BpfCompiler.BPF_JGT | BpfCompiler.BPF_K, c.get("jgt"));
        assertEquals(BpfCompiler.BPF_JMP | BpfCompiler.BPF_JGE | BpfCompiler.BPF_K, c.get("jge"));
        assertEquals(SeccompAction.ALLOW.returnValue() & 0xffffffffL, c.get("ret_allow"));
        assertEquals(SeccompAction.errno(0).returnValue() & 0xffffffffL, c.get("ret_errno"));
        assertEquals(SeccompAction.KILL_PROCESS.returnValue() & 0xffffffffL, c.get("ret_kill_process"));
        assertEquals(SeccompAction.KILL_THREAD.returnValue() & 0xffffffffL, c.get("ret_kill_thread"));
        assertEquals(SeccompAction.TRAP.returnValue() & 0xffffffffL, c.get("ret_trap"));
        assertEquals(SeccompAction.LOG.returnValue() & 0xffffffffL, c.get("ret_log"));
        assertEquals(Seccomp.SECCOMP_SET_MODE_FILTER, c.get("set_mode_filter"));
        assertEquals(Seccomp.SECCOMP_FILTER_FLAG_TSYNC, c.get("tsync"));
        assertEquals(LibC.PR_SET_NO_NEW_PRIVS, c.get("no_new_privs"));
        assertEquals(LibC.PR_GET_NO_NEW_PRIVS, c.get("get_no_new_privs"));
        assertEquals(LibC.PR_GET_SECCOMP, c.get("get_seccomp"));
        assertEquals(Native.SYS_SECCOMP, c.get("nr_seccomp"));
        assertEquals(Native.SYS_PRCTL, c.get("nr_prctl"));
    }
}
