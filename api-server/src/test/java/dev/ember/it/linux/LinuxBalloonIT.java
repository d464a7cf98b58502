package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.ember.api.UnixHttpClient;
import dev.ember.it.EmberProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Linux's virtio-balloon driver against Ember's balloon, in the nested tier. The guest first
 * touches most of its memory (a 160 MiB dd buffer, freed again), so the pages its driver hands
 * over on inflate are mostly backed on the host: inflating 128 MiB must lower the guest's
 * MemFree by about that much and the VMM's RssAnon by at least 48 MiB (at most ~60 MiB of the
 * balloon can come from pages the host never backed); deflating gives MemFree back.
 * Statistics arrive at the 1 s polling interval.
 */
@GuestUserSpace
class LinuxBalloonIT extends LinuxTest.UserSpace {
    /** A hang guard only: the JVM start alone took a minute in a loaded L1. */
    private static final Duration TIMEOUT = LinuxTests.bootTimeout().plusMinutes(3);
    private static final String CMD = " ember.cmd=\"dd if=/dev/zero of=/dev/null bs=160M count=1; i=0;"
            + " while :; do i=\\$((i+1)); echo mem \\$i \\$(grep MemFree /proc/meminfo); sleep 1; done\"";
    private static final Pattern ACTUAL_MIB = Pattern.compile("\"actual_mib\":\\s*(\\d+)");

    /** The number of the last "mem" line printed so far (0 before the first). */
    private static long lastMemLine(EmberProcess vm) {
        Matcher m = Pattern.compile("^mem (\\d+) ", Pattern.MULTILINE).matcher(vm.stdout());
        long n = 0;
        while (m.find()) {
            n = Math.max(n, Long.parseLong(m.group(1)));
        }
        return n;
    }

    /** MemFree (KiB) of the first "mem" line numbered above {@code after}; returns {number, KiB}. */
    private static long[] memLineAfter(EmberProcess vm, long after) throws InterruptedException {
        Pattern p = Pattern.compile("^mem (\\d+) MemFree:\\s+(\\d+) kB", Pattern.MULTILINE);
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            Matcher m = p.matcher(vm.stdout());
            while (m.find()) {
                long n = Long.parseLong(m.group(1));
                if (n > after) {
                    return new long[] {n, Long.parseLong(m.group(2))};
                }
            }
            Thread.sleep(200);
        }
        // Through EmberProcess's own wait, as LinuxMemoryHotplugIT's status lines: a stopped guest is a stall.
        Matcher m = vm.awaitStdout("^mem " + (after + 1) + " MemFree:\\s+(\\d+) kB", Duration.ofSeconds(1));
        return new long[] {after + 1, Long.parseLong(m.group(1))};
    }

    /**
     * The first "mem" line numbered above {@code after} that {@code settled} accepts, or, when none
     * has by the deadline, the newest line (for the caller's assertion to describe). A line's
     * MemFree is read before the line is printed, and the console reaches the host later still,
     * so the first line the host sees after the driver reported the balloon's new size may carry a
     * MemFree read while the driver was still moving its last pages.
     */
    private static long[] memLineWhere(EmberProcess vm, long after, java.util.function.LongPredicate settled)
            throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        long[] newest = memLineAfter(vm, after);
        while (!settled.test(newest[1]) && System.nanoTime() < deadline) {
            newest = memLineAfter(vm, newest[0]);
        }
        return newest;
    }

    private static String awaitStatistics(UnixHttpClient http, String what, java.util.function.Predicate<String> ok)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            UnixHttpClient.Response r = http.get("/balloon/statistics");
            last = r.status() + " " + r.body();
            if (r.status() == 200 && ok.test(r.body())) {
                return r.body();
            }
            Thread.sleep(500);
        }
        fail(what + ": last GET /balloon/statistics answered " + last);
        return null;
    }

    private static long actualMib(String body) {
        Matcher m = ACTUAL_MIB.matcher(body);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    @Test
    void inflateTakesMemoryFromTheGuestAndGivesItToTheHostDeflateGivesItBack() throws Exception {
        Path sock = dir.resolve("api.sock");
        try (EmberProcess vm = EmberProcess.start("--api-sock", sock.toString(), "--id", "linux-balloon")) {
            UnixHttpClient http = vm.api(sock);
            boot(http, "{\"amount_mib\": 0, \"deflate_on_oom\": false, \"stats_polling_interval_s\": 1}", CMD);

            long[] before = memLineAfter(vm, 2);
            String stats = awaitStatistics(http, "statistics from the guest", b -> b.contains("\"free_memory\""));
            assertTrue(stats.contains("\"total_memory\""), stats);
            long rssBefore = vm.rssAnonKib();

            expect(204, http.patch("/balloon", "{\"amount_mib\": 128}"), "inflate");
            awaitStatistics(http, "the guest to inflate to 128 MiB", b -> actualMib(b) == 128);
            // A line printed after the guest reported the inflate done (earlier ones may predate it).
            long[] inflated = memLineWhere(vm, lastMemLine(vm), free -> before[1] - free >= 120 * 1024);
            long rssInflated = vm.rssAnonKib();
            assertTrue(before[1] - inflated[1] >= 120 * 1024, "MemFree " + before[1] + " KiB before the inflate, "
                    + inflated[1] + " KiB after\n" + vm.describe());
            assertTrue(rssBefore - rssInflated >= 48 * 1024, "VMM RssAnon " + rssBefore + " KiB before the inflate, "
                    + rssInflated + " KiB after");

            expect(204, http.patch("/balloon", "{\"amount_mib\": 0}"), "deflate");
            awaitStatistics(http, "the guest to deflate", b -> actualMib(b) == 0);
            long[] deflated = memLineWhere(vm, lastMemLine(vm), free -> free - inflated[1] >= 120 * 1024);
            assertTrue(deflated[1] - inflated[1] >= 120 * 1024, "MemFree " + inflated[1] + " KiB inflated, "
                    + deflated[1] + " KiB after the deflate\n" + vm.describe());
            System.out.println("LinuxBalloonIT: MemFree " + before[1] + " -> " + inflated[1] + " -> " + deflated[1]
                    + " KiB; VMM RssAnon " + rssBefore + " -> " + rssInflated + " KiB");
            vm.terminate();
            vm.awaitExit(LinuxTests.KVM_BOOT);
        }
    }

    /**
     * The guest fills 100 MiB of tmpfs (backed on the host), prints "held", waits, deletes the
     * file and prints "freed"; then it prints MemFree lines.
     */
    private static final String HOLD_AND_FREE = " ember.cmd=\"dd if=/dev/zero of=/tmp/f bs=1M count=100 2>/dev/null; echo held;"
            + " sleep 20; rm /tmp/f; echo freed; i=0; while :; do i=\\$((i+1)); echo mem \\$i \\$(grep MemFree /proc/meminfo);"
            + " sleep 1; done\"";

    private static void boot(UnixHttpClient http, String balloon, String cmd) throws IOException {
        putBootSource(http, cmd);
        expect(204, http.put("/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 256}"), "machine-config");
        expect(204, http.put("/balloon", balloon), "balloon");
        expect(204, http.put("/actions", "{\"action_type\": \"InstanceStart\"}"), "InstanceStart");
    }

    /** Waits (hang guard only) until the VMM's RssAnon is at most {@code kib}; returns it. */
    private static long awaitRssAtMost(EmberProcess vm, long kib, String what) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        long rss = vm.rssAnonKib();
        while (rss > kib && System.nanoTime() < deadline) {
            Thread.sleep(500);
            rss = vm.rssAnonKib();
        }
        assertTrue(rss <= kib, what + ": VMM RssAnon still " + rss + " KiB, expected at most " + kib + "\n" + vm.describe());
        return rss;
    }

    @Test
    void freePageReportingGivesTheHostWhatTheGuestFreed() throws Exception {
        Path sock = dir.resolve("report.sock");
        try (EmberProcess vm = EmberProcess.start("--api-sock", sock.toString(), "--id", "linux-reporting")) {
            UnixHttpClient http = vm.api(sock);
            boot(http, "{\"amount_mib\": 0, \"deflate_on_oom\": false, \"free_page_reporting\": true}", HOLD_AND_FREE);
            vm.awaitStdout("^held", TIMEOUT);
            long held = vm.rssAnonKib();
            vm.awaitStdout("^freed", TIMEOUT);
            // Linux reports freed 2 MiB blocks on its own a few seconds later; no API call.
            long after = awaitRssAtMost(vm, held - 64 * 1024, "free page reporting after the guest freed 100 MiB");
            System.out.println("LinuxBalloonIT: reporting: VMM RssAnon " + held + " KiB holding 100 MiB, " + after + " KiB after the free");
            vm.terminate();
            vm.awaitExit(LinuxTests.KVM_BOOT);
        }
    }

    @Test
    void freePageHintingRunGivesTheHostWhatTheGuestFreed() throws Exception {
        Path sock = dir.resolve("hint.sock");
        try (EmberProcess vm = EmberProcess.start("--api-sock", sock.toString(), "--id", "linux-hinting")) {
            UnixHttpClient http = vm.api(sock);
            boot(http, "{\"amount_mib\": 0, \"deflate_on_oom\": false, \"free_page_hinting\": true}", HOLD_AND_FREE);
            vm.awaitStdout("^held", TIMEOUT);
            long held = vm.rssAnonKib();
            vm.awaitStdout("^mem 2 ", TIMEOUT);
            expect(204, http.patch("/balloon/hinting/start", "{\"acknowledge_on_stop\": true}"), "hinting start");
            // The guest hints its free blocks, then sends STOP, which the device answers with DONE (1).
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            String status = "";
            while (System.nanoTime() < deadline) {
                status = http.get("/balloon/hinting/status").body();
                if (status.contains("\"host_cmd\":1") && status.contains("\"guest_cmd\":0")) {
                    break;
                }
                Thread.sleep(500);
            }
            assertTrue(status.contains("\"host_cmd\":1") && status.contains("\"guest_cmd\":0"),
                    "the guest's STOP acknowledged with DONE: " + status);
            long after = awaitRssAtMost(vm, held - 64 * 1024, "a hinting run after the guest freed 100 MiB");
            System.out.println("LinuxBalloonIT: hinting: VMM RssAnon " + held + " KiB holding 100 MiB, " + after + " KiB after the run");
            long before = lastMemLine(vm);
            memLineAfter(vm, before); // the guest carries on after DONE
            vm.terminate();
            vm.awaitExit(LinuxTests.KVM_BOOT);
        }
    }

    /**
     * deflate_on_oom: with 200 of 256 MiB in the balloon, the guest asks for a 64 MiB buffer, more
     * than it has free. Linux's OOM notifier takes pages back from the balloon instead of killing
     * the process, so dd completes and the balloon's actual size drops below the target.
     */
    @Test
    void deflateOnOomLetsTheGuestTakePagesBackFromTheBalloon() throws Exception {
        Path sock = dir.resolve("oom.sock");
        String cmd = " ember.cmd=\"read go; dd if=/dev/zero of=/dev/null bs=64M count=1 && echo dd-done;"
                + " i=0; while :; do i=\\$((i+1)); echo mem \\$i \\$(grep MemFree /proc/meminfo); sleep 1; done\"";
        try (EmberProcess vm = EmberProcess.start("--api-sock", sock.toString(), "--id", "linux-oom")) {
            UnixHttpClient http = vm.api(sock);
            boot(http, "{\"amount_mib\": 0, \"deflate_on_oom\": true, \"stats_polling_interval_s\": 1}", cmd);
            vm.awaitStdout("EMBER-INIT: run ", TIMEOUT);
            expect(204, http.patch("/balloon", "{\"amount_mib\": 200}"), "inflate");
            awaitStatistics(http, "the guest to inflate to 200 MiB", b -> actualMib(b) == 200);
            vm.type("go\n");
            vm.awaitStdout("^dd-done", TIMEOUT);
            String stats = awaitStatistics(http, "the balloon to give pages back", b -> actualMib(b) < 200);
            assertTrue(!vm.stdout().contains("Out of memory: Killed"), "no process was killed\n" + vm.describe());
            System.out.println("LinuxBalloonIT: deflate_on_oom: after a 64 MiB allocation " + stats);
            vm.terminate();
            vm.awaitExit(LinuxTests.KVM_BOOT);
        }
    }
}
