package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.api.UnixHttpClient;
import dev.ember.it.EmberProcess;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;

/**
 * A Linux guest's user space across the VM's lifecycle: commands piped to the console of the
 * documented example ending in a reboot, pause and resume, and a snapshot loaded in a fresh
 * process. (A guest poweroff ends the VM too, through ACPI: {@link LinuxPowerOffIT}.) Every
 * test needs guest user space ({@link GuestUserSpace}): on PVM hosts they run in the nested tier.
 */
@GuestUserSpace
class LinuxLifecycleIT extends LinuxTest.UserSpace {
    /**
     * A user-space loop printing a count and the guest's uptime every 0.2 s. init evaluates the
     * command line with the shell, so {@code \$} keeps the expansions for the loop itself.
     */
    private static final String COUNTER = " ember.cmd=\"i=0; while :; do i=\\$((i+1));"
            + " echo count \\$i \\$(cut -d' ' -f1 /proc/uptime); sleep 0.2; done\"";
    /**
     * The last complete count line printed so far. A pause can stop the vCPU between two bytes of a
     * line (the UART takes one byte per exit), so an unfinished count line may follow it: that line
     * is finished only after the resume, or in the process that loads the snapshot.
     */
    private static final String LAST_COUNT = "^count (\\d+) ([0-9.]+)\\r?\\n(?![\\s\\S]*^count [^\\n]*\\n)";

    private static void bootCounter(UnixHttpClient http, int vcpus, int memMib) throws Exception {
        expect(204, http.put("/boot-source", "{\"kernel_image_path\": \"" + LinuxImages.vmlinux() + "\", \"initrd_path\": \""
                + LinuxImages.initramfs() + "\", \"boot_args\": \"" + (LinuxImages.BASE_CMDLINE + COUNTER).replace("\\", "\\\\")
                        .replace("\"", "\\\"") + "\"}"), "boot-source");
        expect(204, http.put("/machine-config", "{\"vcpu_count\": " + vcpus + ", \"mem_size_mib\": " + memMib + "}"), "machine-config");
        expect(204, http.put("/actions", "{\"action_type\": \"InstanceStart\"}"), "InstanceStart");
    }

    @Test
    void theLinuxExampleRunsCommandsPipedToItsConsoleAndEndsOnReboot() throws Exception {
        // What docs/examples/README and the README show a user, byte for byte.
        List<String> pipe = List.of("sh", "-c", "printf 'echo MARK-$((6*7))\\nreboot -f\\n' | \"$0\" \"$@\"");
        try (EmberProcess vm = EmberProcess.startVia(pipe, "--no-api", "--config-file", "docs/examples/linux.json")) {
            assertEquals(0, LinuxTests.awaitExit(vm, LinuxTests.bootTimeout()), "reboot -f ends ember with 0\n" + vm.describe());
            assertTrue(vm.stdout().matches("(?s).*\nMARK-42\r?\n.*"), "the piped command ran in the guest's shell\n" + vm.describe());
        }
    }

    @Test
    void aPausedGuestStandsStillAndItsCounterAndClockCarryOnAfterResume() throws Exception {
        Path sock = dir.resolve("api.sock");
        try (EmberProcess vm = EmberProcess.start("--api-sock", sock.toString(), "--id", "linux-pause")) {
            UnixHttpClient http = vm.api(sock);
            bootCounter(http, 2, 128);
            vm.awaitStdout("^count 5 ", LinuxTests.bootTimeout());
            expect(204, http.patch("/vm", "{\"state\": \"Paused\"}"), "pause");
            assertEquals("Paused", http.instanceState());
            Matcher last = vm.awaitStdout(LAST_COUNT, LinuxTests.KVM_BOOT);
            int count = Integer.parseInt(last.group(1));
            double uptime = Double.parseDouble(last.group(2));
            String frozen = vm.stdout();
            Thread.sleep(3000);
            assertEquals(frozen, vm.stdout(), "a paused guest prints nothing");

            expect(204, http.patch("/vm", "{\"state\": \"Resumed\"}"), "resume");
            Matcher next = vm.awaitStdout("^count " + (count + 1) + " ([0-9.]+)\\r?\\n", LinuxTests.KVM_BOOT);
            assertTrue(Double.parseDouble(next.group(1)) >= uptime, "the guest's clock did not go back\n" + vm.describe());
            // Its timers still fire: sleep returns, the loop goes on.
            vm.awaitStdout("^count " + (count + 5) + " ", LinuxTests.KVM_BOOT);
            vm.terminate();
            assertEquals(0, vm.awaitExit(LinuxTests.KVM_BOOT), vm.describe());
        }
    }

    @Test
    void aSnapshotOfARunningLinuxGuestCarriesOnInAFreshProcess() throws Exception {
        Path snap = dir.resolve("linux.snap");
        Path mem = dir.resolve("linux.mem");
        int count;
        String unfinished;
        try (EmberProcess first = EmberProcess.start("--api-sock", dir.resolve("a.sock").toString(), "--id", "linux-snap-a")) {
            UnixHttpClient http = first.api(dir.resolve("a.sock"));
            bootCounter(http, 2, 128);
            first.awaitStdout("^count 5 ", LinuxTests.bootTimeout());
            expect(204, http.patch("/vm", "{\"state\": \"Paused\"}"), "pause");
            Matcher last = first.awaitStdout(LAST_COUNT, LinuxTests.KVM_BOOT);
            count = Integer.parseInt(last.group(1));
            unfinished = first.stdout().substring(last.end());
            expect(204, http.put("/snapshot/create", "{\"snapshot_path\": \"" + snap + "\", \"mem_file_path\": \"" + mem + "\"}"),
                    "create");
            first.terminate();
            first.awaitExit(LinuxTests.KVM_BOOT);
        }
        try (EmberProcess second = EmberProcess.start("--api-sock", dir.resolve("b.sock").toString(), "--id", "linux-snap-b")) {
            UnixHttpClient http = second.api(dir.resolve("b.sock"));
            expect(204, http.put("/snapshot/load", "{\"snapshot_path\": \"" + snap + "\", \"mem_backend\": {\"backend_type\": \"File\","
                    + " \"backend_path\": \"" + mem + "\"}, \"resume_vm\": true}"), "load");
            second.awaitStdout("^count " + (count + 5) + " ", LinuxTests.KVM_BOOT);
            // The line after the last whole one may have begun before the snapshot and ended after the load.
            assertTrue(java.util.regex.Pattern.compile("^count " + (count + 1) + " [0-9.]+\\r?$", java.util.regex.Pattern.MULTILINE)
                    .matcher(unfinished + second.stdout()).find(), "the guest carried on from count " + count + "\n" + second.describe());
            assertFalse(second.stdout().contains("EMBER-INIT: up"), "the guest carried on, it did not boot again\n" + second.describe());
            second.terminate();
            assertEquals(0, second.awaitExit(LinuxTests.KVM_BOOT), second.describe());
        }
    }
}
