package dev.ember.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ember.config.StrictJson;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Request fields Firecracker has deprecated. A request that uses one is served as usual and
 * answered with a {@code Deprecation: true} header, and the message is logged, as Firecracker
 * does (its deprecated_api.deprecated_http_api_calls metric counts them).
 */
final class Deprecations {
    /** Route ("METHOD /template") to the top-level body fields deprecated in it. */
    private static final Map<String, List<String>> FIELDS = Map.of(
            "PUT /machine-config", List.of("cpu_template"),
            "PATCH /machine-config", List.of("cpu_template"),
            "PUT /vsock", List.of("vsock_id"),
            "PUT /snapshot/load", List.of("mem_file_path"));

    private Deprecations() {}

    /** Firecracker's message for the first deprecated field {@code body} uses on {@code route}, or null. */
    static String message(Route route, byte[] body) {
        List<String> fields = FIELDS.get(route.method() + " " + route.path());
        if (fields == null || body.length == 0) {
            return null;
        }
        JsonNode tree;
        try {
            tree = StrictJson.MAPPER.readTree(body);
        } catch (IOException | RuntimeException e) {
            return null; // not JSON: the route has refused it already
        }
        for (String field : fields) {
            if (tree != null && tree.has(field)) {
                return route.method() + " " + route.path() + ": " + field + " field is deprecated.";
            }
        }
        return null;
    }
}
