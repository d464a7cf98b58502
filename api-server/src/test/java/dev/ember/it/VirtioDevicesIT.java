package dev.ember.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.testing.RawFrames;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The test guest's virtio drivers against the real {@code bin/ember}: drives and network
 * interfaces come from the config file, the guest moves data, and the test checks the bytes in
 * the image file and the frames on the TAP.
 */
@NeedsKvm
class VirtioDevicesIT {
    private static final Duration BOOT = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    /** A config booting {@code scenario} with extra top-level sections (JSON members). */
    private Path config(String scenario, String sections) throws IOException {
        String json = "{\n"
                + "  \"boot-source\": {\n"
                + "    \"kernel_image_path\": \"" + TestGuests.image() + "\",\n"
                + "    \"boot_args\": \"console=ttyS0 ember.test=" + scenario + "\"\n"
                + "  },\n"
                + "  \"machine-config\": { \"vcpu_count\": 1, \"mem_size_mib\": 128 },\n"
                + sections + "\n"
                + "}\n";
        Path f = dir.resolve(scenario.split(" ")[0] + ".json");
        Files.writeString(f, json);
        return f;
    }

    private static String drive(String id, Path image, boolean readOnly) {
        return drive(id, image, readOnly, "Sync");
    }

    /** A drive with {@code io_engine} Sync or Async (io_uring). */
    private static String drive(String id, Path image, boolean readOnly, String ioEngine) {
        return "{ \"drive_id\": \"" + id + "\", \"path_on_host\": \"" + image + "\", \"is_root_device\": false,"
                + " \"is_read_only\": " + readOnly + ", \"cache_type\": \"Writeback\", \"io_engine\": \"" + ioEngine + "\" }";
    }

    private Path image(int bytes, byte fill) throws IOException {
        Path img = Files.createTempFile(dir, "disk", ".img");
        byte[] b = new byte[bytes];
        java.util.Arrays.fill(b, fill);
        Files.write(img, b);
        return img;
    }

    private static void assertPass(EmberProcess vm, String scenario) throws InterruptedException {
        int code = vm.awaitExit(BOOT);
        assertEquals(0, code, "exit status\n" + vm.describe());
        assertTrue(vm.stdout().contains("EMBER-TEST: PASS " + scenario), vm.describe());
    }

    /**
     * vsock both ways through bin/ember: a host process connects to uds_path with
     * {@code CONNECT 1000}, gets {@code OK <port>} and its bytes echoed by the guest's listener;
     * then the guest connects to host port 2000, which is this test's listener at
     * {@code <uds_path>_2000}, and prints the reply.
     */
    @Test
    void vsockHostConnectEchoAndGuestConnectToHost() throws Exception {
        Path uds = dir.resolve("v.sock");
        try (ServerSocketChannel hostListener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            hostListener.bind(UnixDomainSocketAddress.of(uds + "_2000"));
            Path cfg = config("virtio-vsock", "  \"vsock\": { \"guest_cid\": 7, \"uds_path\": \"" + uds + "\" }");
            try (EmberProcess vm = EmberProcess.boot(cfg.toString())) {
                vm.awaitStdout("virtio-vsock: cid 7, listening on port 1000\n", BOOT);
                byte[] sent = new byte[3000];
                for (int i = 0; i < sent.length; i++) {
                    sent[i] = (byte) ('a' + i % 26);
                }
                try (SocketChannel host = HybridVsock.connect(uds, 1000)) {
                    host.write(ByteBuffer.wrap(sent));
                    assertArrayEquals(sent, HybridVsock.readExactly(host, sent.length), "the guest echoed every byte, in order");
                    host.shutdownOutput();
                    assertEquals(-1, host.read(ByteBuffer.allocate(1)), "the stream ends when the guest closes it");
                }
                try (SocketChannel fromGuest = hostListener.accept()) {
                    assertEquals("hello from the guest over vsock", HybridVsock.readLine(fromGuest));
                    fromGuest.write(ByteBuffer.wrap("hello guest\n".getBytes(StandardCharsets.US_ASCII)));
                }
                assertPass(vm, "virtio-vsock");
                assertTrue(vm.stdout().contains("virtio-vsock: echoed 3000 bytes to host port "), vm.describe());
                assertTrue(vm.stdout().contains("virtio-vsock: host replied: hello guest\n"), vm.describe());
                assertTrue(vm.stdout().contains("virtio-vsock: closed\n"), vm.describe());
            }
        }
    }

    /**
     * virtio-rng through bin/ember: the test guest's requests are filled, a device-readable one
     * gets 0 bytes, and a burst of eight 512-byte requests is served in full without a limiter.
     */
    @Test
    void entropyFillsTheGuestsBuffers() throws Exception {
        Path cfg = config("virtio-rng", "  \"entropy\": {}");
        try (EmberProcess vm = EmberProcess.boot(cfg.toString())) {
            assertPass(vm, "virtio-rng");
            assertTrue(vm.stdout().contains("virtio-rng: 64 and 100+3000 random bytes\n"), vm.describe());
            assertTrue(vm.stdout().contains("virtio-rng: a device-readable request is answered with 0 bytes\n"), vm.describe());
            assertTrue(vm.stdout().contains("virtio-rng: 8 of 8 requests of 512 bytes served, "), vm.describe());
        }
    }

    /**
     * The entropy rate limiter bounds the bytes the guest gets: a one-time burst that covers the
     * scenario's first 3164 bytes and a 2048-byte bucket refilled over 1000 s (2 bytes/s) serve
     * exactly four of the eight 512-byte requests; the guest stops waiting after 1.5 s of quiet.
     */
    @Test
    void entropyRateLimiterBoundsTheBytesServed() throws Exception {
        Path cfg = config("virtio-rng", "  \"entropy\": { \"rate_limiter\": { \"bandwidth\":"
                + " { \"size\": 2048, \"one_time_burst\": 3164, \"refill_time\": 1000000 } } }");
        try (EmberProcess vm = EmberProcess.boot(cfg.toString())) {
            assertPass(vm, "virtio-rng");
            assertTrue(vm.stdout().contains("virtio-rng: 4 of 8 requests of 512 bytes served, "), vm.describe());
        }
    }

    /**
     * virtio-balloon through bin/ember: the test guest touches the 48 MiB target, then inflates
     * those pages, and the VMM's anonymous memory (RssAnon in /proc/PID/status) drops by at least
     * 32 MiB (16 MiB of slack for what the JVM itself may allocate meanwhile); after the deflate
     * the guest finds every page zero, so the host really dropped them.
     */
    @Test
    void balloonInflateGivesTheGuestsPagesBackToTheHost() throws Exception {
        Path cfg = config("virtio-balloon", "  \"balloon\": { \"amount_mib\": 48, \"deflate_on_oom\": false }");
        try (EmberProcess vm = EmberProcess.boot(cfg.toString())) {
            vm.awaitStdout("virtio-balloon: target 12288 pages, 12288 pages touched\n", BOOT);
            long touched = vm.rssAnonKib();
            vm.type("x");
            vm.awaitStdout("virtio-balloon: inflated 12288 pages, actual 12288\n", BOOT);
            long inflated = vm.rssAnonKib();
            assertTrue(touched - inflated >= 32 * 1024, "RssAnon " + touched + " KiB before the inflate, "
                    + inflated + " KiB after\n" + vm.describe());
            vm.type("x");
            assertPass(vm, "virtio-balloon");
            assertTrue(vm.stdout().contains("virtio-balloon: deflated 12288 pages, 0 still hold the guest's bytes\n"), vm.describe());
            System.out.println("balloon: RssAnon " + touched + " KiB with 48 MiB touched, " + inflated + " KiB after the inflate");
        }
    }

    @ParameterizedTest(name = "io_engine {0}")
    @ValueSource(strings = {"Sync", "Async"})
    void guestWritesThePatternIntoTheImageFile(String ioEngine) throws Exception {
        Path img = image(1 << 20, (byte) 0);
        Path cfg = config("virtio-blk", "  \"drives\": [ " + drive("scratch", img, false, ioEngine) + " ]");
        try (EmberProcess vm = EmberProcess.boot(cfg.toString())) {
            assertPass(vm, "virtio-blk");
            assertTrue(vm.stdout().contains("virtio-blk: capacity 2048 sectors\n"), vm.describe());
            assertTrue(vm.stdout().contains("virtio-blk: id scratch\n"), vm.describe());
            assertTrue(vm.stdout().contains("virtio-blk: wrote 8 sectors at 1, flushed, read back identical\n"), vm.describe());
        }
        TestGuests.assertVirtioBlkPattern(img);
    }

    /**
     * --enable-pci (issue 17): the drive is a virtio-pci function; the test guest finds it through
     * ECAM, drives it through its capabilities and takes its completions as MSI-X messages.
     */
    @Test
    void withPciTheTestGuestsVirtioPciDriverWritesAndReadsBackWithMsix() throws Exception {
        Path img = image(1 << 20, (byte) 0);
        Path cfg = config("virtio-pci-blk", "  \"drives\": [ " + drive("scratch", img, false) + " ]");
        try (EmberProcess vm = EmberProcess.boot(cfg.toString(), "--enable-pci")) {
            assertPass(vm, "virtio-pci-blk");
            assertTrue(vm.stdout().contains("virtio-pci: capacity 2048 sectors\n"), vm.describe());
            assertTrue(vm.stdout().contains("virtio-pci: wrote 8 sectors at 1, flushed, read back identical\n"), vm.describe());
            assertTrue(vm.stdout().contains("MSI-X interrupts on the queue vector"), vm.describe());
            assertFalse(vm.stderr().contains("virtio_mmio.device="), vm.describe());
        }
        TestGuests.assertVirtioBlkPattern(img);
    }

    @ParameterizedTest(name = "io_engine {0}")
    @ValueSource(strings = {"Sync", "Async"})
    void readOnlyDriveRefusesWritesAndTheFileIsUnchanged(String ioEngine) throws Exception {
        Path img = image(64 * 1024, (byte) 0x5A);
        byte[] before = Files.readAllBytes(img);
        Path cfg = config("virtio-blk-ro", "  \"drives\": [ " + drive("ro", img, true, ioEngine) + " ]");
        try (EmberProcess vm = EmberProcess.boot(cfg.toString())) {
            assertPass(vm, "virtio-blk-ro");
            assertTrue(vm.stdout().contains("virtio-blk: read-only drive, write refused with IOERR\n"), vm.describe());
        }
        assertArrayEquals(before, Files.readAllBytes(img));
    }

    @ParameterizedTest(name = "io_engine {0}")
    @ValueSource(strings = {"Sync", "Async"})
    void hostileDriverGetsDeviceErrorsAndTheVmmKeepsServing(String ioEngine) throws Exception {
        Path img = image(64 * 1024, (byte) 0);
        Path cfg = config("virtio-hostile", "  \"drives\": [ " + drive("victim", img, false, ioEngine) + " ]");
        try (EmberProcess vm = EmberProcess.boot(cfg.toString())) {
            assertPass(vm, "virtio-hostile");
            for (String c : List.of("cyclic chain", "buffer outside guest memory", "next index beyond the queue",
                    "huge descriptor length", "request header marked device-writable", "available index far ahead",
                    "queue size 12 (not a power of two)")) {
                assertTrue(vm.stdout().contains("virtio-hostile: " + c + " -> DEVICE_NEEDS_RESET\n"), c + "\n" + vm.describe());
            }
            assertTrue(vm.stdout().contains("virtio-hostile: device works again after reset\n"), vm.describe());
            Matcher m = Pattern.compile("DEVICE_NEEDS_RESET|device needs reset").matcher(vm.stderr());
            int logged = 0;
            while (m.find()) {
                logged++;
            }
            assertEquals(7, logged, "each device error is logged once\n" + vm.describe());
        }
    }

    /**
     * The benchmark scenario bench/run times (blk-bench), small: every phase completes with
     * requests in flight and afterwards every 4 KiB block of the image file carries the stamp
     * the guest wrote (block number, magic, generation 1 from the sequential pass or 2 from the
     * random one), so the figures bench/run prints are for data that really moved.
     */
    @ParameterizedTest(name = "io_engine {0}")
    @ValueSource(strings = {"Sync", "Async"})
    void benchScenarioMovesEveryBlockIntact(String ioEngine) throws Exception {
        int blocks = 1024; // 4 MiB
        Path img = image(blocks * 4096, (byte) 0);
        Path cfg = config("blk-bench ember.bench.qd=4 ember.bench.seqkib=256 ember.bench.ios=200",
                "  \"drives\": [ " + drive("bench", img, false, ioEngine) + " ]");
        try (EmberProcess vm = EmberProcess.boot(cfg.toString())) {
            assertPass(vm, "blk-bench");
            for (String phase : List.of("seq-write", "seq-read", "rand-read", "rand-write")) {
                assertTrue(vm.stdout().contains("BENCH-START " + phase + "\nBENCH-END " + phase + "\n"), phase + "\n" + vm.describe());
            }
            assertTrue(vm.stdout().contains("bench: seq-write 16 requests 4194304 bytes qd 4 "), vm.describe());
            assertTrue(vm.stdout().contains("bench: seq-read 16 requests 4194304 bytes qd 4 "), vm.describe());
            assertTrue(vm.stdout().contains("bench: rand-read 200 requests 819200 bytes qd 4 "), vm.describe());
            assertTrue(vm.stdout().contains("bench: rand-write 200 requests 819200 bytes qd 4 "), vm.describe());
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(Files.readAllBytes(img)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int rewritten = 0;
        for (int i = 0; i < blocks; i++) {
            int at = i * 4096;
            assertEquals(i, b.getLong(at), "block number stamp of block " + i);
            assertEquals(0x424d4245, b.getInt(at + 8), "magic of block " + i);
            int gen = b.getInt(at + 12);
            assertTrue(gen == 1 || gen == 2, "generation " + gen + " of block " + i);
            rewritten += gen == 2 ? 1 : 0;
        }
        assertTrue(rewritten > 100 && rewritten <= 200, rewritten + " blocks rewritten by 200 random writes");
    }

    @Test
    void missingImageIsAConfigErrorNamingTheField() throws Exception {
        Path cfg = config("virtio-blk", "  \"drives\": [ " + drive("gone", dir.resolve("missing.img"), false) + " ]");
        try (EmberProcess vm = EmberProcess.boot(cfg.toString())) {
            int code = vm.awaitExit(BOOT);
            assertTrue(code != 0, vm.describe());
            assertTrue(vm.stderr().contains("path_on_host"), vm.describe());
        }
    }

    // ---- network ---------------------------------------------------------------------------

    @Test
    void guestFrameAppearsOnTheTapAndAHostFrameReachesTheGuest() throws Exception {
        try (NetnsTap net = NetnsTap.create("vtap0"); NetnsTap.Capture cap = net.capture(1)) {
            Path cfg = config("virtio-net", "  \"network-interfaces\": [ { \"iface_id\": \"eth0\", \"host_dev_name\": \"" + net.tap
                    + "\", \"guest_mac\": \"06:00:AC:10:00:02\" } ]");
            try (EmberProcess vm = EmberProcess.startVia(net.launcher(), "--no-api", "--config-file", cfg.toString())) {
                byte[] f = cap.next();
                assertTrue(f != null, "no frame captured on the TAP\n" + vm.describe());
                assertEquals(60, f.length);
                assertEquals("ffffffffffff0600ac100002", HexFormat.of().formatHex(f, 0, 12), "broadcast from the guest MAC");
                assertTrue(new String(f, 14, 46, StandardCharsets.US_ASCII).startsWith("EMBER virtio-net frame from the guest"));

                net.send(List.of(NetnsTap.frame("0600ac100002", "0600ac100001", "EMBER reply from the host")));
                assertPass(vm, "virtio-net");
                assertTrue(vm.stdout().contains("virtio-net: mac 06:00:ac:10:00:02\n"), vm.describe());
                assertTrue(vm.stdout().contains(
                        "virtio-net: received 60-byte frame from 06:00:ac:10:00:01: EMBER reply from the host\n"), vm.describe());
            }
        }
    }

    /**
     * The benchmark scenario bench/run times (net-bench), small: the host counts every frame
     * the guest sends on the TAP, and the guest receives every numbered frame the host writes,
     * in order, none lost.
     */
    @Test
    void netBenchScenarioMovesEveryFrameBothWays() throws Exception {
        int frames = 300;
        try (NetnsTap net = NetnsTap.create("vtap0")) {
            // The host writes all frames at once: the TAP queue must hold them until the VMM reads.
            assertEquals(0, NetnsTap.run(net.in("ip", "link", "set", net.tap, "txqueuelen", "10000")));
            Process count = new ProcessBuilder(net.in(NetnsTap.PYTHON, "-c", RawFrames.COUNT, net.tap, Integer.toString(frames), "60")).start();
            BufferedReader countOut = new BufferedReader(new InputStreamReader(count.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("READY", countOut.readLine());
            Path cfg = config("net-bench ember.bench.qd=4 ember.bench.frames=" + frames, "  \"network-interfaces\": [ { \"iface_id\": \"eth0\","
                    + " \"host_dev_name\": \"" + net.tap + "\", \"guest_mac\": \"06:00:AC:10:00:02\" } ]");
            try (EmberProcess vm = EmberProcess.startVia(net.launcher(), "--no-api", "--config-file", cfg.toString())) {
                // The guest waits 10 s at most for its first RX frame: send first, then collect the count.
                vm.awaitStdout("^BENCH-READY net-rx$", BOOT);
                assertEquals(0, NetnsTap.run(net.in(NetnsTap.PYTHON, "-c", RawFrames.SEND_NUMBERED, net.tap, Integer.toString(frames),
                        "0600ac100002")));
                assertEquals("COUNT " + frames + " " + frames * 1514, countOut.readLine(), vm.describe());
                assertPass(vm, "net-bench");
                assertTrue(vm.stdout().contains("BENCH-START net-tx\nBENCH-END net-tx\nbench: net-tx " + frames + " frames "
                        + frames * 1514 + " bytes qd 4 "), vm.describe());
                assertTrue(vm.stdout().contains("BENCH-END net-rx\nbench: net-rx " + frames + " frames " + frames * 1514
                        + " bytes lost 0 "), vm.describe());
            } finally {
                count.destroy();
            }
        }
    }
}
