package dev.ember.devices.virtio;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ember.memory.GuestMemory;

/**
 * The split-virtqueue walker on guest memory the fuzzer writes: descriptor table, available
 * ring, used ring and indirect tables are whatever the bytes say, as a hostile guest would
 * leave them. The only allowed failure is a {@link VirtqueueException} with a reason (the
 * device then sets DEVICE_NEEDS_RESET); anything else (an index out of bounds, an access
 * outside guest memory, a loop that does not end) is a finding.
 *
 * <p>Runs its regression inputs (src/test/resources/.../VirtqueueFuzzTestInputs) in every
 * build; {@code JAZZER_FUZZ=1} fuzzes it (docs/testing.md).
 */
class VirtqueueFuzzTest {
    /** The guest: small, so random 64-bit addresses mostly fall outside and some inside. */
    private static final long MEM = 1 << 20;
    /**
     * Where the rings of a queue of at most 16 entries sit, packed at the bottom so that short
     * inputs reach them: the fuzzer's bytes fill [0, WINDOW) — rings, indirect tables and buffers.
     */
    private static final long DESC = 0, AVAIL = 0x100, USED = 0x200, WINDOW = 0x10000;
    private static final GuestMemory mem = GuestMemory.create(MEM);
    private static final byte[] ZERO = new byte[(int) WINDOW];
    private final DescriptorChain chain = new DescriptorChain(Virtio.MAX_QUEUE_SIZE);

    /** Entry point for Jazzer's own launcher (the long run in docs/testing.md). */
    public static void fuzzerTestOneInput(FuzzedDataProvider data) {
        new VirtqueueFuzzTest().chainsFromHostileGuestMemory(data);
    }

    @FuzzTest(maxDuration = "5s")
    void chainsFromHostileGuestMemory(FuzzedDataProvider data) {
        int size = 1 << data.consumeInt(0, 4);
        boolean eventIdx = data.consumeBoolean();
        boolean indirect = data.consumeBoolean();
        mem.write(0, ZERO, 0, ZERO.length);
        byte[] guest = data.consumeRemainingAsBytes();
        mem.write(0, guest, 0, (int) Math.min(guest.length, WINDOW));
        SplitQueue.validate(mem, 0, size, Virtio.MAX_QUEUE_SIZE, DESC, AVAIL, USED);
        SplitQueue q = new SplitQueue(0, mem);
        q.activate(size, DESC, AVAIL, USED, eventIdx, indirect);
        try {
            for (int i = 0; i < 2 * size && q.pop(chain); i++) {
                long readable = chain.readableBytes();
                long writable = chain.writableBytes();
                assertTrue(readable >= 0 && writable >= 0 && chain.count() <= Virtio.MAX_QUEUE_SIZE);
                if (readable > 0) {
                    chain.readReadable(0, 1);
                    chain.readReadable(readable - 1, 1);
                }
                if (writable > 0) {
                    chain.readWritable(writable - 1, 1);
                    chain.writeWritable(writable - 1, 1, 0x5a);
                }
                q.addUsed(chain.head(), writable);
                q.needsInterrupt();
            }
        } catch (VirtqueueException expected) {
            assertNotNull(expected.reason(), expected.getMessage());
        }
    }
}
