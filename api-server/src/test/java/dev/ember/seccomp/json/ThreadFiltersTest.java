package dev.ember.seccomp.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.it.NeedsKvm;
import dev.ember.testing.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built-in per-thread filters in a real JVM: what a thread that took the vcpu or api filter
 * may no longer do kills the process with SIGSYS (Firecracker's default action), while the same
 * call passes on a thread with the process-wide vmm filter alone.
 */
class ThreadFiltersTest {
    private static final int SIGSYS = 31;

    @TempDir
    Path dir;

    private ChildJvm.Result probe(String category, String call) throws Exception {
        return ChildJvm.run(ThreadFilterProbe.class, List.of(category, call, dir.toString()));
    }

    private void killed(String category, String call) throws Exception {
        ChildJvm.Result r = probe(category, call);
        assertEquals(128 + SIGSYS, r.exitCode(), category + " " + call + "\n" + r.describe());
        assertTrue(r.stdout().contains("installed"), r.describe());
        assertFalse(r.stdout().contains(call + "\n"), r.describe());
    }

    private void passes(String category, String call) throws Exception {
        ChildJvm.Result r = probe(category, call);
        assertEquals(0, r.exitCode(), category + " " + call + "\n" + r.describe());
        assertTrue(r.stdout().contains("ok " + call.replaceFirst("^child-", "")), r.describe());
    }

    @Test
    void aVcpuThreadCannotCreateOrRemoveFiles() throws Exception {
        killed("vcpu", "create-file");
        assertFalse(Files.exists(dir.resolve("created.txt")));
        passes("vmm", "create-file");
        killed("vcpu", "unlink");
        assertTrue(Files.exists(dir.resolve("existing.txt")));
        passes("vcpu", "open-read-only");   // class loading on a vCPU thread still reads the jars
    }

    @Test
    void aVcpuThreadCannotMapExecutableMemoryOrMakeSockets() throws Exception {
        passes("vmm", "mmap-exec");
        killed("vcpu", "mmap-exec");
        passes("vcpu", "mmap-data");
        passes("vmm", "unix-socket");
        killed("vcpu", "unix-socket");
    }

    @Test
    @NeedsKvm
    void aVcpuThreadHasKvmRunButNoOtherKvmIoctl() throws Exception {
        assumeTrue(Files.isWritable(Path.of("/dev/kvm")), "no /dev/kvm");
        passes("vmm", "kvm-api-version");
        killed("vcpu", "kvm-api-version");
        killed("vcpu", "kvm-create-vm");
    }

    @Test
    @NeedsKvm
    void apiThreadsHaveNoKvmNoSocketsOfTheirOwnAndNoFileCreation() throws Exception {
        assumeTrue(Files.isWritable(Path.of("/dev/kvm")), "no /dev/kvm");
        killed("api", "kvm-api-version");
        killed("api", "unix-socket");
        killed("api", "create-file");
        passes("api", "open-read-only");
    }

    /** A thread inherits its creator's filters: the VMM starts its vmm threads from main or the request thread only. */
    @Test
    void aThreadStartedByAVcpuThreadInheritsItsFilter() throws Exception {
        killed("vcpu", "child-create-file");
        passes("vmm", "child-create-file");
    }
}
