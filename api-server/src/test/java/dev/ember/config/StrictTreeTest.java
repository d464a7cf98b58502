package dev.ember.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * MMDS contents read and written with jackson-core ({@link StrictTree}) against databind's tree
 * ({@link StrictJson#tree}, {@link StrictJson#write}, and the sorted writer the guest's answers
 * use): the same tree (node types included) or the same error word for word, and the same bytes.
 */
class StrictTreeTest {
    private static final List<String> VALUES = List.of("null", "true", "false", "0", "1", "-1", "-0", "1.5", "1.0", "1.50", "0.0",
            "-0.0", "1e2", "1E+2", "1e-7", "1e400", "-1e400", "1e308", "1.7976931348623157e308", "1e9999999999", "2147483647",
            "2147483648", "-2147483649", "9223372036854775807", "9223372036854775808", "123456789012345678901234567890",
            "123456789012345678901234567890.5", "\"\"", "\"x\"", "\"a\\u0000b\\n\\t\\\"\"", "\"\\ud83d\\ude00\"", "\"caf\u00e9\"",
            "\"\\ud800\"", "\"\\x\"", "[]", "[1, \"a\", null, [], {}]", "{}", "{\"b\": 1, \"a\": {\"d\": [1.25, true], \"c\": null}}",
            "nul", "tru", "01", "1.", ".5", "+1", "NaN", "'x'", "[1,]", "{,}", "{\"a\"}", "{\"a\":}", "{\"a\": 1, \"a\": 2}",
            "{\"a\": {\"x\": 1, \"x\": 1}}");

    private static final List<String> WHOLE = List.of("", " ", "\n\t ", "null", " 1 ", "{} {}", "{} x", "{} ,", "[] []", "{}}",
            "\uFEFF{}", "{\"latest\": {\"meta-data\": {\"ami-id\": \"ami-12345678\", \"reservation-id\": \"r-fea54097\","
                    + " \"local-hostname\": \"ip-10-251-50-12.ec2.internal\", \"public-hostname\": \"ec2.amazonaws.com\"}}}",
            "[".repeat(999) + "]".repeat(999), "[".repeat(1001) + "]".repeat(1001), "{\"s\": \"" + "x".repeat(30_000) + "\"}");

    private static final ObjectMapper SORTED = new ObjectMapper().configure(JsonNodeFeature.WRITE_PROPERTIES_SORTED, true);

    @Test
    void everyValueReadsAndWritesAsDatabindsTree() throws Exception {
        List<String> bodies = new ArrayList<>(WHOLE);
        for (String v : VALUES) {
            bodies.add(v);
            bodies.add("{\"k\": " + v + "}");
            bodies.add("[0, " + v + "]");
            bodies.add("{\"z\": 1,\n \"k\": [" + v + "], \"a\": 2}");
            bodies.add(v + " " + v);
        }
        List<String> differences = new ArrayList<>();
        int read = 0;
        for (String body : bodies) {
            byte[] json = body.getBytes(StandardCharsets.UTF_8);
            JsonNode[] trees = new JsonNode[2];
            String expected = BindingOutcome.of(() -> trees[0] = StrictJson.tree(json, "mmds"));
            String actual = BindingOutcome.of(() -> trees[1] = StrictTree.read(json, "mmds"));
            if (!expected.equals(actual)) {
                differences.add(BindingOutcome.difference(body, expected, actual));
                continue;
            }
            if (trees[0] == null) {
                continue;
            }
            read++;
            String types = BindingOutcome.difference(body, kinds(trees[0]), kinds(trees[1]));
            if (!kinds(trees[0]).equals(kinds(trees[1]))) {
                differences.add(types);
            }
            String written = new String(StrictJson.write(trees[0]), StandardCharsets.UTF_8);
            String streamed = new String(StrictTree.write(trees[0]), StandardCharsets.UTF_8);
            if (!written.equals(streamed)) {
                differences.add(BindingOutcome.difference(body, written, streamed));
            }
            String sorted = SORTED.writeValueAsString(trees[0]);
            String streamedSorted = StrictTree.writeSorted(trees[0]);
            if (!sorted.equals(streamedSorted)) {
                differences.add(BindingOutcome.difference(body, sorted, streamedSorted));
            }
        }
        assertEquals(List.of(), differences, differences.size() + " of " + bodies.size() + " bodies differ:\n"
                + String.join("\n", differences.subList(0, Math.min(30, differences.size()))));
        assertTrue(read > 100, "most bodies are trees: " + read);
    }

    /** Each node's class, depth first: IntNode and LongNode are different answers to the same text. */
    private static String kinds(JsonNode node) {
        StringBuilder sb = new StringBuilder(node.getClass().getSimpleName());
        for (JsonNode child : node) {
            sb.append(' ').append(kinds(child));
        }
        return sb.toString();
    }
}
