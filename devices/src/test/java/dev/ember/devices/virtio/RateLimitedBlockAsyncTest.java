package dev.ember.devices.virtio;

/** Every {@link RateLimitedBlockTest} again with {@code io_engine: Async}. */
class RateLimitedBlockAsyncTest extends RateLimitedBlockTest {
    @Override
    BlockIoEngine engine() {
        return BlockIoEngine.ASYNC;
    }
}
