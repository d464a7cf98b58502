package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.ember.api.UnixHttpClient;
import dev.ember.it.EmberProcess;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Linux's virtio-mem driver against Ember's device, in the nested tier. A 256 MiB guest with a
 * 512 MiB hotpluggable region (blocks of 2 MiB, slots of 128 MiB), onlining what it gets as
 * movable memory ({@code memhp_default_state=online_movable}, so it can give it back). PATCH
 * 256 MiB: the guest plugs it, its MemTotal grows by about that much and two more 128 MiB memory
 * blocks are online in /sys/devices/system/memory; it then fills a 200 MiB buffer (which Linux
 * takes from the movable, hotplugged memory first) and frees it. PATCH 0: the guest unplugs it
 * all, MemTotal and the online blocks are back where they were, and the VMM's RssAnon falls by
 * at least 128 MiB (read from /proc).
 */
@GuestUserSpace
class LinuxMemoryHotplugIT extends LinuxTest.UserSpace {
    /** A hang guard only. */
    private static final Duration TIMEOUT = LinuxTests.bootTimeout().plusMinutes(4);
    /**
     * Every second: MemTotal and the online memory blocks. A line on the console: "t" fills a
     * 200 MiB buffer once, "w" writes 100 MiB of random bytes to /tmp/x (tmpfs) and prints their
     * md5sum, "s" prints it again.
     */
    private static final String CMD = " memhp_default_state=online_movable ember.cmd=\"i=0; while :; do i=\\$((i+1));"
            + " echo mem \\$i \\$(grep MemTotal /proc/meminfo) online \\$(cat /sys/devices/system/memory/memory*/state | grep -c '^online');"
            + " if read -t 1 c; then case \\$c in t) dd if=/dev/zero of=/dev/null bs=200M count=1 2>/dev/null; echo touched;;"
            + " w) dd if=/dev/urandom of=/tmp/x bs=1M count=100 2>/dev/null; echo sum \\$(md5sum < /tmp/x);;"
            + " s) echo sum \\$(md5sum < /tmp/x);; esac; fi; done\"";
    private static final Pattern LINE = Pattern.compile("^mem (\\d+) MemTotal:\\s+(\\d+) kB online (\\d+)", Pattern.MULTILINE);
    private static final Pattern PLUGGED = Pattern.compile("\"plugged_size_mib\":\\s*(\\d+)");

    /** The first status line numbered above {@code after}: {number, MemTotal KiB, online blocks}. */
    private static long[] lineAfter(EmberProcess vm, long after) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            Matcher m = LINE.matcher(vm.stdout());
            while (m.find()) {
                if (Long.parseLong(m.group(1)) > after) {
                    return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3))};
                }
            }
            Thread.sleep(200);
        }
        // The next line through EmberProcess's own wait: a guest that stopped then fails as a stall
        // does ("ember never printed ... (timed out)", which the nested runner runs again) and the
        // failure says where the VMM's threads were.
        Matcher m = vm.awaitStdout("^mem " + (after + 1) + " MemTotal:\\s+(\\d+) kB online (\\d+)", Duration.ofSeconds(1));
        return new long[] {after + 1, Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
    }

    /**
     * The first status line numbered above {@code after} that {@code settled} accepts, or, when none
     * has by the deadline, the newest line (for the caller's assertion to describe). The device
     * counts a block as plugged before Linux has added and onlined the memory behind it (virtio-mem
     * plugs first, then adds the 128 MiB memory block), and unplugs only after offlining, so the
     * guest's MemTotal trails GET /hotplug/memory by a block's worth of work, which under nested
     * emulation takes seconds.
     */
    private static long[] lineWhere(EmberProcess vm, long after, Predicate<long[]> settled)
            throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        long[] newest = lineAfter(vm, after);
        while (!settled.test(newest) && System.nanoTime() < deadline) {
            newest = lineAfter(vm, newest[0]);
        }
        return newest;
    }

    private static long lastLine(EmberProcess vm) {
        Matcher m = LINE.matcher(vm.stdout());
        long n = 0;
        while (m.find()) {
            n = Math.max(n, Long.parseLong(m.group(1)));
        }
        return n;
    }

    /** Polls GET /hotplug/memory until the guest has plugged {@code mib}; returns the body. */
    private static String awaitPlugged(UnixHttpClient http, long mib) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            UnixHttpClient.Response r = http.get("/hotplug/memory");
            last = r.status() + " " + r.body();
            Matcher m = PLUGGED.matcher(r.body());
            if (r.status() == 200 && m.find() && Long.parseLong(m.group(1)) == mib) {
                return r.body();
            }
            Thread.sleep(500);
        }
        fail("the guest did not reach " + mib + " MiB plugged: last GET /hotplug/memory answered " + last);
        return null;
    }

    /** A 256 MiB guest with 512 MiB of hotpluggable memory, booted through the API socket {@code sock}. */
    private static EmberProcess boot(Path sock, String id) throws Exception {
        EmberProcess vm = EmberProcess.start("--api-sock", sock.toString(), "--id", id);
        UnixHttpClient http = vm.api(sock);
        putBootSource(http, CMD);
        expect(204, http.put("/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 256}"), "machine-config");
        expect(204, http.put("/hotplug/memory", "{\"total_size_mib\": 512, \"block_size_mib\": 2, \"slot_size_mib\": 128}"),
                "hotplug/memory");
        expect(204, http.put("/actions", "{\"action_type\": \"InstanceStart\"}"), "InstanceStart");
        return vm;
    }

    @Test
    void theGuestGrowsWhenAskedAndShrinksAgainGivingTheHostItsMemoryBack() throws Exception {
        Path sock = dir.resolve("api.sock");
        try (EmberProcess vm = boot(sock, "linux-vmem")) {
            UnixHttpClient http = vm.api(sock);

            long[] before = lineAfter(vm, 1);
            expect(204, http.patch("/hotplug/memory", "{\"requested_size_mib\": 256}"), "grow");
            awaitPlugged(http, 256);
            long[] grown = lineWhere(vm, lastLine(vm), l -> l[1] - before[1] >= 240 * 1024 && l[2] - before[2] >= 2);
            assertTrue(grown[1] - before[1] >= 240 * 1024, "MemTotal " + before[1] + " KiB before, " + grown[1]
                    + " KiB with 256 MiB plugged\n" + vm.describe());
            assertTrue(grown[2] - before[2] >= 2, "online memory blocks " + before[2] + " -> " + grown[2] + "\n" + vm.describe());

            vm.type("t\n");
            vm.awaitStdout("^touched", TIMEOUT);
            long rssTouched = vm.rssAnonKib();

            expect(204, http.patch("/hotplug/memory", "{\"requested_size_mib\": 0}"), "shrink");
            awaitPlugged(http, 0);
            long[] shrunk = lineWhere(vm, lastLine(vm), l -> grown[1] - l[1] >= 240 * 1024 && l[2] <= before[2]);
            long rssShrunk = vm.rssAnonKib();
            assertTrue(grown[1] - shrunk[1] >= 240 * 1024, "MemTotal " + grown[1] + " KiB grown, " + shrunk[1]
                    + " KiB after unplugging\n" + vm.describe());
            assertTrue(shrunk[2] <= before[2], "online memory blocks " + grown[2] + " -> " + shrunk[2] + "\n" + vm.describe());
            assertTrue(rssTouched - rssShrunk >= 128 * 1024, "VMM RssAnon " + rssTouched + " KiB with the plugged memory used, "
                    + rssShrunk + " KiB after the guest unplugged it");
            System.out.println("LinuxMemoryHotplugIT: MemTotal " + before[1] + " -> " + grown[1] + " -> " + shrunk[1]
                    + " KiB; online blocks " + before[2] + " -> " + grown[2] + " -> " + shrunk[2] + "; VMM RssAnon "
                    + rssTouched + " -> " + rssShrunk + " KiB");
            vm.terminate();
            vm.awaitExit(LinuxTests.KVM_BOOT);
        }
    }

    /**
     * The guest plugs 256 MiB and writes 100 MiB to tmpfs; a Full snapshot of it loads in a fresh
     * process: GET /hotplug/memory shows the plugged 256 MiB, the file's md5sum is unchanged,
     * MemTotal is what it was, and the guest still follows a new requested size.
     */
    @Test
    void aSnapshotOfAGrownGuestLoadsWithItsMemoryAndCarriesOn() throws Exception {
        Path snap = dir.resolve("vmem.snap");
        Path mem = dir.resolve("vmem.mem");
        String sum;
        long[] grown;
        Path sockA = dir.resolve("a.sock");
        try (EmberProcess vm = boot(sockA, "linux-vmem-a")) {
            UnixHttpClient http = vm.api(sockA);
            long[] before = lineAfter(vm, 1);
            expect(204, http.patch("/hotplug/memory", "{\"requested_size_mib\": 256}"), "grow");
            awaitPlugged(http, 256);
            grown = lineWhere(vm, lastLine(vm), l -> l[1] - before[1] >= 240 * 1024 && l[2] - before[2] >= 2);
            assertTrue(grown[1] - before[1] >= 240 * 1024, "MemTotal " + before[1] + " KiB before, " + grown[1]
                    + " KiB with 256 MiB plugged\n" + vm.describe());
            vm.type("w\n");
            sum = vm.awaitStdout("sum ([0-9a-f]{32})", TIMEOUT).group(1);
            expect(204, http.patch("/vm", "{\"state\": \"Paused\"}"), "pause");
            expect(204, http.put("/snapshot/create", "{\"snapshot_path\": \"" + snap + "\", \"mem_file_path\": \"" + mem + "\"}"),
                    "create");
            vm.terminate();
            vm.awaitExit(LinuxTests.KVM_BOOT);
        }
        Path sockB = dir.resolve("b.sock");
        try (EmberProcess vm = EmberProcess.start("--api-sock", sockB.toString(), "--id", "linux-vmem-b")) {
            UnixHttpClient http = vm.api(sockB);
            expect(204, http.put("/snapshot/load", "{\"snapshot_path\": \"" + snap + "\", \"mem_backend\": {\"backend_type\": \"File\","
                    + " \"backend_path\": \"" + mem + "\"}, \"resume_vm\": true}"), "load");
            assertTrue(awaitPlugged(http, 256).contains("\"requested_size_mib\":256"), "the loaded device keeps its sizes");
            long last = lastLine(vm);
            vm.type("s\n");
            vm.awaitStdout("sum " + sum, TIMEOUT); // a fresh process: its console holds only what came after the load
            long[] loaded = lineAfter(vm, last);
            assertTrue(loaded[1] == grown[1], "MemTotal " + grown[1] + " KiB before the snapshot, " + loaded[1] + " KiB after the load\n"
                    + vm.describe());
            expect(204, http.patch("/hotplug/memory", "{\"requested_size_mib\": 384}"), "grow after the load");
            awaitPlugged(http, 384);
            System.out.println("LinuxMemoryHotplugIT: snapshot: md5 " + sum + " of 100 MiB in tmpfs the same after the load; MemTotal "
                    + grown[1] + " KiB; then 384 MiB plugged");
            vm.terminate();
            vm.awaitExit(LinuxTests.KVM_BOOT);
        }
    }
}
