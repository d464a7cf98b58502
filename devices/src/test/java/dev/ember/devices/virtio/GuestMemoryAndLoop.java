package dev.ember.devices.virtio;

import dev.ember.eventloop.EventLoop;
import dev.ember.memory.GuestMemory;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The fixture every device test class shares: 16 MiB of guest memory and a started event loop
 * (thread {@code test-event-loop}), created before the class's own {@code @BeforeAll} methods and
 * closed after its {@code @AfterAll} ones. The test class declares where it wants them as static
 * fields of type {@link GuestMemory}, {@link EventLoop} and (optionally) {@link Thread} for the
 * loop's thread; this extension fills them in.
 */
final class GuestMemoryAndLoop implements BeforeAllCallback {
    static final int MEMORY_BYTES = 16 << 20;
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(GuestMemoryAndLoop.class);

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        GuestMemory mem = GuestMemory.create(MEMORY_BYTES);
        EventLoop loop = new EventLoop();
        Thread thread = loop.start("test-event-loop");
        // Closed with the class's extension context, after its @AfterAll methods.
        context.getStore(NS).put("fixture", (AutoCloseable) () -> {
            loop.close();
            mem.close();
        });
        for (Class<?> c = context.getRequiredTestClass(); c != Object.class; c = c.getSuperclass()) {
            fill(c, mem, loop, thread);
        }
    }

    /** A subclass (the same tests with another engine) reuses its superclass's fields. */
    private static void fill(Class<?> testClass, GuestMemory mem, EventLoop loop, Thread thread) throws IllegalAccessException {
        for (Field f : testClass.getDeclaredFields()) {
            if (!Modifier.isStatic(f.getModifiers()) || Modifier.isFinal(f.getModifiers())) {
                continue;
            }
            Object value = f.getType() == GuestMemory.class ? mem
                    : f.getType() == EventLoop.class ? loop
                    : f.getType() == Thread.class ? thread : null;
            if (value != null) {
                f.setAccessible(true);
                f.set(null, value);
            }
        }
    }
}
