package dev.ember.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ember.config.InstanceInfo;
import dev.ember.config.StrictJson;
import dev.ember.config.StrictTree;
import dev.ember.config.StrictWriter;

/**
 * Response bodies. {@code GET /} (the call every client makes first, to see that the API is up),
 * faults and the records that write themselves ({@link StrictWriter.Writable}: machine config,
 * version, balloon and its statistics, hotplug status) are written with jackson-core's generator
 * ({@link StrictWriter}): databind builds its serialisers by reflection on first use (~60 ms of
 * CPU), and a VMM that never uses databind keeps ~500 classes out of its AOT cache, each of which
 * every VM would load at start. Their bytes are exactly what {@link StrictJson#write} gives
 * ({@code ResponseJsonTest}); every other body goes through StrictJson.
 */
final class ResponseJson {
    private ResponseJson() {}

    static byte[] write(Object body) {
        if (body instanceof InstanceInfo i) {
            return object("id", i.id(), "state", i.state(), "vmm_version", i.vmmVersion(), "app_name", i.appName());
        }
        if (body instanceof ApiResponse.Fault f) {
            return object("fault_message", f.faultMessage());
        }
        if (body instanceof StrictWriter.Writable w) {
            return StrictWriter.write(w::write);
        }
        if (body instanceof JsonNode tree) { // GET /mmds, /openapi
            return StrictTree.write(tree);
        }
        return StrictJson.write(body);
    }

    /** A flat object of string fields, nulls left out (StrictJson's NON_NULL). */
    private static byte[] object(String... namesAndValues) {
        return StrictWriter.write(g -> {
            g.writeStartObject();
            for (int i = 0; i < namesAndValues.length; i += 2) {
                if (namesAndValues[i + 1] != null) {
                    g.writeStringField(namesAndValues[i], namesAndValues[i + 1]);
                }
            }
            g.writeEndObject();
        });
    }
}
