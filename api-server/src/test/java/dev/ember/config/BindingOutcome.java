package dev.ember.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** How the differential binding tests (StrictReaderTest, StreamedBodiesTest) describe one binding's result. */
final class BindingOutcome {
    private BindingOutcome() {}

    interface Binding {
        Object bind() throws ConfigException;
    }

    /** "ok " + the record, or "error " + reason + message; anything else thrown is a finding in itself. */
    static String of(Binding b) {
        try {
            return "ok " + b.bind();
        } catch (ConfigException e) {
            return "error " + e.reason() + ": " + e.getMessage();
        } catch (RuntimeException e) {
            return "threw " + e;
        }
    }

    /** The body and both outcomes, for a failure message. */
    static String difference(String body, String databind, String streamed) {
        return (body.length() > 200 ? body.substring(0, 200) + "..." : body) + "\n  databind: " + databind + "\n  streamed: " + streamed;
    }

    /** One binder of a body's bytes. */
    interface Binder {
        Object bind(byte[] json) throws ConfigException;
    }

    /**
     * Binds every body both ways and asserts the same outcome for each; most bodies must be
     * refused and at least {@code minBound} bind, so the corpus tests both sides of each check.
     */
    static void assertSameOutcomes(List<String> bodies, Binder databind, Binder streamed, int minBound) {
        int failures = 0;
        int bound = 0;
        List<String> differences = new ArrayList<>();
        for (String body : bodies) {
            byte[] json = body.getBytes(StandardCharsets.UTF_8);
            String expected = of(() -> databind.bind(json));
            String actual = of(() -> streamed.bind(json));
            if (!expected.equals(actual)) {
                differences.add(difference(body, expected, actual));
            }
            failures += expected.startsWith("error") ? 1 : 0;
            bound += expected.startsWith("ok") ? 1 : 0;
        }
        assertEquals(List.of(), differences, differences.size() + " of " + bodies.size() + " bodies differ:\n"
                + String.join("\n", differences.subList(0, Math.min(30, differences.size()))));
        assertTrue(failures > bodies.size() / 2, "most bodies are refused: " + failures + " of " + bodies.size());
        assertTrue(bound >= minBound, "some bind: " + bound);
    }
}
