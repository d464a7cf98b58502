package dev.ember.eventloop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.ember.sys.LibC;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A handler that throws on the real loop thread (an eventfd it serves becomes readable) is
 * reported to the loop's failure handler, which the VMM uses to end the VM, instead of ending
 * the thread silently while the guest runs on with every device gone quiet.
 */
class EventLoopFailureTest {
    @Test
    void aHandlerThatThrowsIsReportedAndTheLoopStops() throws Exception {
        CompletableFuture<Throwable> reported = new CompletableFuture<>();
        try (EventLoop loop = new EventLoop(); EventFd kick = EventFd.nonBlocking()) {
            loop.register(kick.fd(), LibC.EPOLLIN, ev -> {
                kick.read();
                throw new IllegalStateException("a device bug");
            });
            Thread t = loop.start("vmm-failure-test", reported::complete);
            kick.write(1);
            Throwable failure = reported.get(30, TimeUnit.SECONDS);
            assertInstanceOf(IllegalStateException.class, failure);
            assertEquals("a device bug", failure.getMessage());
            t.join(30_000);
            assertFalse(t.isAlive(), "the loop serves nothing after a failure");
        }
    }
}
