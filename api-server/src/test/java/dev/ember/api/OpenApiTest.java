package dev.ember.api;

import dev.ember.app.EmberVersion;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.ember.config.StrictJson;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class OpenApiTest {
    private final List<Route> routes = Routes.table();
    private final JsonNode doc = StrictJson.MAPPER.valueToTree(OpenApi.document(routes));

    /** Firecracker's endpoints Ember serves (method and path as in firecracker.yaml). */
    private static final String[] FIRECRACKER = {
        "GET /", "GET /version", "GET /machine-config", "PUT /machine-config", "PATCH /machine-config", "GET /vm/config",
        "PUT /boot-source", "PUT /drives/{drive_id}", "PATCH /drives/{drive_id}", "PUT /network-interfaces/{iface_id}",
        "PATCH /network-interfaces/{iface_id}", "PUT /actions", "PATCH /vm", "PUT /logger", "PUT /metrics", "GET /mmds",
        "PUT /mmds", "PATCH /mmds", "PUT /mmds/config", "PUT /vsock", "GET /balloon", "PUT /balloon", "PATCH /balloon",
        "GET /balloon/statistics", "PATCH /balloon/statistics", "PATCH /balloon/hinting/start",
        "GET /balloon/hinting/status", "PATCH /balloon/hinting/stop", "PUT /entropy", "PUT /serial", "PUT /cpu-config",
        "PUT /snapshot/create", "PUT /snapshot/load"};

    @Test
    void everyFirecrackerEndpointIsRouted() {
        List<String> have = new ArrayList<>();
        routes.forEach(r -> have.add(r.method() + " " + r.path()));
        for (String e : FIRECRACKER) {
            assertTrue(have.contains(e), e + " missing from the route table");
        }
    }

    @Test
    void documentHasEveryRouteWithItsBodySchema() {
        assertEquals("3.0.3", doc.get("openapi").asText());
        assertEquals(EmberVersion.VERSION, doc.at("/info/version").asText());
        int operations = 0;
        for (var it = doc.get("paths").fields(); it.hasNext(); ) {
            operations += it.next().getValue().size();
        }
        assertEquals(routes.size(), operations, "one operation per route, no more");
        for (Route r : routes) {
            JsonNode op = doc.get("paths").get(r.path()).get(r.method().toLowerCase(Locale.ROOT));
            assertNotNull(op, r.method() + " " + r.path());
            assertEquals(r.phase().name(), op.get("x-ember-phase").asText());
            assertTrue(op.at("/responses/400/content/application~1json/schema/$ref").asText().endsWith("/Error"));
            if (r.path().contains("{")) {
                assertEquals("path", op.at("/parameters/0/in").asText());
            }
            if (r.requestType() != null && r.requestType().isRecord()) {
                String ref = op.at("/requestBody/content/application~1json/schema/$ref").asText();
                JsonNode schema = doc.at("/components/schemas/" + ref.substring(ref.lastIndexOf('/') + 1));
                assertFields(r.requestType(), schema);
            }
            if (r.responseType() == null) {
                assertTrue(op.at("/responses").has("204"), r.path());
            }
        }
    }

    /** The schema lists exactly the record's JSON fields, which is what the parser accepts. */
    private void assertFields(Class<?> type, JsonNode schema) {
        List<String> expected = new ArrayList<>();
        for (RecordComponent rc : type.getRecordComponents()) {
            expected.add(rc.getAccessor().getAnnotation(JsonProperty.class).value());
        }
        List<String> actual = new ArrayList<>();
        schema.get("properties").fieldNames().forEachRemaining(actual::add);
        assertEquals(expected, actual, type.getSimpleName());
        assertEquals(false, schema.get("additionalProperties").asBoolean());
    }

    @Test
    void enumsAndNestedTypesAreDescribed() {
        assertEquals("[\"None\",\"Transparent\",\"2M\"]", doc.at("/components/schemas/MachineConfig/properties/huge_pages/enum").toString());
        assertEquals("#/components/schemas/TokenBucketConfig",
                doc.at("/components/schemas/RateLimiterConfig/properties/bandwidth/$ref").asText());
        assertEquals("array", doc.at("/components/schemas/CpuConfig/properties/cpuid_modifiers/type").asText());
        assertEquals("integer", doc.at("/components/schemas/MachineConfig/properties/vcpu_count/type").asText());
    }
}
