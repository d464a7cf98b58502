package dev.ember.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.ember.config.StrictReader;
import java.io.IOException;
import java.util.ArrayList;
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
        List<String> given = topLevelFields(body);
        for (String field : fields) {
            if (given.contains(field)) {
                return route.method() + " " + route.path() + ": " + field + " field is deprecated.";
            }
        }
        return null;
    }

    /**
     * The body's top-level field names that have a value other than null, read with jackson-core alone (databind may still be
     * warming up when a snapshot load, one of these routes, arrives); none unless the body is a
     * well-formed JSON object.
     */
    private static List<String> topLevelFields(byte[] body) {
        List<String> names = new ArrayList<>();
        try (JsonParser p = StrictReader.FACTORY.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return List.of();
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                // A null is an absent field to Firecracker (an Option left None): no deprecation.
                if (p.nextToken() != JsonToken.VALUE_NULL) {
                    names.add(name);
                }
                p.skipChildren();
            }
            return p.nextToken() == null ? names : List.of(); // not a JSON object: the route has refused it already
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }
}
