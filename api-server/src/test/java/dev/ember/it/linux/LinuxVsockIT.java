package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.it.EmberProcess;
import dev.ember.it.HybridVsock;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * virtio-vsock driven by Linux's own driver and real guest user space ({@code /bin/ember-vsock},
 * guest-images/rootfs/ember-vsock.c), both ways through Firecracker's hybrid Unix-socket design.
 * One guest serves every test: a Linux boot costs seconds in the nested tier.
 */
@GuestUserSpace
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LinuxVsockIT {
    /**
     * Bytes moved: a random block sent {@link #REPEATS} times host -> guest and guest -> host
     * (112 MiB each way, checked by MD5: the 100 MiB) and {@link #ECHO_REPEATS} times
     * host -> guest -> host. The echo moves every byte through the guest twice and is the
     * slowest Linux test under nested TCG (112 MiB did not finish in 8 minutes at host load 15
     * with a second L1 running), so it moves 48 MiB each way unless
     * {@code -Dember.vsockEchoRepeats=7}; bench/nested measures vsock throughput.
     */
    private static final int BLOCK = 16 << 20;
    private static final int REPEATS = Integer.getInteger("ember.vsockRepeats", 7);
    private static final int ECHO_REPEATS = Integer.getInteger("ember.vsockEchoRepeats", 3);
    private static final Duration STEP = Duration.ofMinutes(3);

    private Path dir;
    private Path uds;
    private EmberProcess vm;

    /** The tests share one VM: any failure carries its console and VMM log (and whether it still runs). */
    @RegisterExtension
    final TestExecutionExceptionHandler withTheVmmsOutput = (context, failure) -> {
        if (vm == null) {
            throw failure;
        }
        throw new AssertionError(failure + "\n(the shared ember process " + (vm.isAlive() ? "still runs" : "has exited") + ")\n"
                + vm.describe(), failure);
    };

    @BeforeAll
    void bootAGuestWithListeners() throws Exception {
        LinuxTests.assumeSlowTestsOnKvm();
        LinuxTests.assumeGuestUserSpaceRuns();
        dir = Files.createTempDirectory("ember-linux-vsock");
        uds = dir.resolve("v.sock");
        Path cfg = new LinuxVmConfig(LinuxImages.vmlinux(), LinuxImages.BASE_CMDLINE)
                .initrd(LinuxImages.initramfs())
                .machine(2, 256)
                .vsock(3, uds)
                .write(dir, "linux-vsock");
        vm = EmberProcess.boot(cfg.toString());
        vm.awaitStdout("^EMBER-INIT: shell", LinuxTests.bootTimeout());
        // (Markers are not anchored at line start: the shell's prompt may precede them.)
        // An echo service on 5000 and a shell "agent" on 1024, as an orchestrator's agent listens.
        // A digest of whatever a connection sends on 5003 (md5sum per connection).
        vm.type("ember-vsock listen 5000 & ember-vsock listen 1024 sh & ember-vsock listen 5003 md5sum &\n");
        vm.awaitStdout("ember-vsock: listening on 5000\r?$", STEP);
        vm.awaitStdout("ember-vsock: listening on 1024\r?$", STEP);
        vm.awaitStdout("ember-vsock: listening on 5003\r?$", STEP);
    }

    @AfterAll
    void rebootTheGuest() throws Exception {
        if (vm == null) {
            return;
        }
        try {
            vm.type("reboot -f\n");
            assertEquals(0, LinuxTests.awaitExit(vm, STEP), vm.describe());
        } finally {
            vm.close();
            try (var files = Files.list(dir)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void aHostStreamOf112MibReachesTheGuestIntact() throws Exception {
        byte[] block = new byte[BLOCK];
        new Random(7).nextBytes(block);
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        try (SocketChannel c = HybridVsock.connect(uds, 5003)) {
            for (int i = 0; i < REPEATS; i++) {
                c.write(ByteBuffer.wrap(block));
                md5.update(block);
            }
            c.shutdownOutput();
            String line = HybridVsock.readLine(c);
            assertEquals(HexFormat.of().formatHex(md5.digest()), line.split("\\s+")[0],
                    "the guest's MD5 of the " + ((long) BLOCK * REPEATS >> 20) + " MiB the host sent\n" + vm.describe());
        }
    }

    @Test
    void aHostConnectReachesTheGuestsListenerAndEveryByteComesBackInOrder() throws Exception {
        byte[] block = new byte[BLOCK];
        new Random(42).nextBytes(block);
        try (SocketChannel c = HybridVsock.connect(uds, 5000)) {
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < ECHO_REPEATS; i++) {
                        c.write(ByteBuffer.wrap(block));
                    }
                    c.shutdownOutput();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            for (int i = 0; i < ECHO_REPEATS; i++) {
                assertArrayEquals(block, HybridVsock.readExactly(c, BLOCK), "block " + i + " echoed by the guest intact\n" + vm.describe());
            }
            writer.get(STEP.toSeconds(), TimeUnit.SECONDS);
            assertEquals(-1, c.read(ByteBuffer.allocate(1)), "the guest closed after our half-close");
        }
    }

    @Test
    void aGuestConnectToTheHostReachesUdsPathUnderscorePortWithEveryByte() throws Exception {
        String token = LinuxTests.token();
        Path listenerPath = Path.of(uds + "_6000");
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listener.bind(UnixDomainSocketAddress.of(listenerPath));
            // The guest sends a random block REPEATS times and prints the block's MD5; the host
            // checks each block's digest and answers with the count it received.
            vm.type("head -c " + BLOCK + " /dev/urandom > /tmp/blob && echo " + token + "-SUM-$(md5sum < /tmp/blob | cut -d' ' -f1)"
                    + " && (i=0; while [ $i -lt " + REPEATS + " ]; do cat /tmp/blob; i=$((i+1)); done) | ember-vsock connect 2 6000"
                    + "; echo " + token + "-RC-$?\n");
            List<String> digests = new ArrayList<>();
            long total;
            try (SocketChannel fromGuest = accept(listener)) {
                MessageDigest md5 = MessageDigest.getInstance("MD5");
                ByteBuffer buf = ByteBuffer.allocate(1 << 16);
                long inBlock = 0;
                total = 0;
                int n;
                while ((n = fromGuest.read(buf.clear())) >= 0) {
                    buf.flip();
                    while (buf.hasRemaining()) {
                        int take = (int) Math.min(buf.remaining(), BLOCK - inBlock);
                        md5.update(buf.array(), buf.position(), take);
                        buf.position(buf.position() + take);
                        inBlock += take;
                        total += take;
                        if (inBlock == BLOCK) {
                            digests.add(HexFormat.of().formatHex(md5.digest()));
                            inBlock = 0;
                        }
                    }
                }
                fromGuest.write(ByteBuffer.wrap(("RECEIVED " + total + "\n").getBytes(StandardCharsets.US_ASCII)));
            }
            String guestSum = vm.awaitStdout(token + "-SUM-([0-9a-f]{32})\r?$", STEP).group(1);
            vm.awaitStdout("RECEIVED " + total + "\r?$", STEP);
            assertEquals("0", vm.awaitStdout(token + "-RC-(\\d+)\r?$", STEP).group(1), vm.describe());
            assertEquals((long) BLOCK * REPEATS, total, "every byte the guest sent arrived");
            assertEquals(REPEATS, digests.size());
            for (String d : digests) {
                assertEquals(guestSum, d, "each block arrived intact and in order");
            }
        } finally {
            Files.deleteIfExists(listenerPath);
        }
    }

    /**
     * Back-pressure through the real process (seccomp filters on): the host peer of a guest
     * connection does not read for a while, so its socket fills, the VMM's sends come up short
     * and it holds what the guest sent (its per-connection buffer, then the guest's credit);
     * meanwhile another connection is served, and afterwards every byte arrives in order.
     */
    @Test
    void aHostPeerThatStopsReadingHoldsBackOnlyItsOwnConnectionAndLosesNothing() throws Exception {
        String token = LinuxTests.token();
        Path listenerPath = Path.of(uds + "_6001");
        int size = 4 << 20;
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listener.bind(UnixDomainSocketAddress.of(listenerPath));
            vm.type("head -c " + size + " /dev/urandom > /tmp/held && echo " + token + "-SUM-$(md5sum < /tmp/held | cut -d' ' -f1)"
                    + " && ember-vsock connect 2 6001 < /tmp/held; echo " + token + "-RC-$?\n");
            String guestSum = vm.awaitStdout(token + "-SUM-([0-9a-f]{32})\r?$", STEP).group(1);
            try (SocketChannel fromGuest = accept(listener)) {
                // Not reading: the guest's bytes pile up in the socket, then in the VMM.
                try (SocketChannel agent = HybridVsock.connect(uds, 1024)) {
                    agent.write(ByteBuffer.wrap("echo HELD-$((6*7))\nexit 0\n".getBytes(StandardCharsets.US_ASCII)));
                    assertEquals("HELD-42", HybridVsock.readLine(agent), "another connection is served meanwhile\n" + vm.describe());
                }
                Thread.sleep(2000);
                assertTrue(vm.isAlive(), "the VMM survived the held connection\n" + vm.describe());
                MessageDigest md5 = MessageDigest.getInstance("MD5");
                ByteBuffer buf = ByteBuffer.allocate(1 << 16);
                long total = 0;
                int n;
                while ((n = fromGuest.read(buf.clear())) >= 0) {
                    md5.update(buf.array(), 0, n);
                    total += n;
                }
                fromGuest.write(ByteBuffer.wrap(("RECEIVED " + total + "\n").getBytes(StandardCharsets.US_ASCII)));
                assertEquals(size, total, "every byte the guest sent arrived\n" + vm.describe());
                assertEquals(guestSum, HexFormat.of().formatHex(md5.digest()), "in order and intact");
            }
            vm.awaitStdout("RECEIVED " + size + "\r?$", STEP);
            assertEquals("0", vm.awaitStdout(token + "-RC-(\\d+)\r?$", STEP).group(1), vm.describe());
        } finally {
            Files.deleteIfExists(listenerPath);
        }
    }

    @Test
    void sixtyFourConcurrentHostConnectionsAreEachEchoedCompletely() throws Exception {
        int connections = 64;
        int size = 64 << 10;
        ExecutorService pool = Executors.newFixedThreadPool(2 * connections);
        try {
            List<SocketChannel> open = new ArrayList<>();
            for (int i = 0; i < connections; i++) {
                open.add(HybridVsock.connect(uds, 5000));
            }
            List<Future<byte[]>> echoes = new ArrayList<>();
            List<byte[]> sent = new ArrayList<>();
            for (int i = 0; i < connections; i++) {
                SocketChannel c = open.get(i);
                byte[] data = new byte[size];
                new Random(i).nextBytes(data);
                sent.add(data);
                pool.submit(() -> {
                    c.write(ByteBuffer.wrap(data));
                    c.shutdownOutput();
                    return null;
                });
                echoes.add(pool.submit(() -> HybridVsock.readExactly(c, size)));
            }
            for (int i = 0; i < connections; i++) {
                assertArrayEquals(sent.get(i), echoes.get(i).get(STEP.toSeconds(), TimeUnit.SECONDS), "connection " + i);
            }
            for (SocketChannel c : open) {
                c.close();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anAgentInTheGuestAnswersCommandsOverVsock() throws Exception {
        try (SocketChannel agent = HybridVsock.connect(uds, 1024)) {
            agent.write(ByteBuffer.wrap("echo AGENT-$((6*7)) $(nproc)\nexit 0\n".getBytes(StandardCharsets.US_ASCII)));
            assertEquals("AGENT-42 2", HybridVsock.readLine(agent), "the guest's shell ran the command");
            assertEquals(-1, agent.read(ByteBuffer.allocate(1)), "the agent's exit closed the connection");
        }
    }

    @Test
    void aGuestConnectToAHostPortNobodyListensOnIsRefused() throws Exception {
        String token = LinuxTests.token();
        vm.type("ember-vsock connect 2 6999 </dev/null; echo " + token + "-RC-$?\n");
        assertEquals("1", vm.awaitStdout(token + "-RC-(\\d+)\r?$", STEP).group(1), vm.describe());
        assertTrue(vm.stdout().contains("ember-vsock: connect: Connection reset by peer"),
                "the VMM answered RST for a missing <uds_path>_6999\n" + vm.describe());
    }

    private static SocketChannel accept(ServerSocketChannel listener) throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return listener.accept();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).get(STEP.toSeconds(), TimeUnit.SECONDS);
    }
}
