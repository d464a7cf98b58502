package dev.ember.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.ember.config.ConfigException;
import dev.ember.config.InstanceInfo;
import dev.ember.config.MachineConfig;
import dev.ember.config.StrictJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Response bodies. {@code GET /} (the call every client makes first, to see that the API is up)
 * and faults are written with jackson-core's generator: databind builds its serialisers by
 * reflection on first use, ~60 ms of CPU that would land on the first request. Their bytes are
 * exactly what {@link StrictJson#write} gives ({@code ResponseJsonTest}); every other body goes
 * through StrictJson. Once the first response is out, databind is warmed up on a thread of its
 * own, so the first configuration request finds most of its machinery ready.
 */
final class ResponseJson {
    private static final JsonFactory FACTORY = new JsonFactory();
    private static volatile boolean warmUpStarted;

    private ResponseJson() {}

    static byte[] write(Object body) {
        if (body instanceof InstanceInfo i) {
            return object("id", i.id(), "state", i.state(), "vmm_version", i.vmmVersion(), "app_name", i.appName());
        }
        if (body instanceof ApiResponse.Fault f) {
            return object("fault_message", f.faultMessage());
        }
        return StrictJson.write(body);
    }

    /** A flat object of string fields, nulls left out (StrictJson's NON_NULL). */
    private static byte[] object(String... namesAndValues) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.writeStartObject();
            for (int i = 0; i < namesAndValues.length; i += 2) {
                if (namesAndValues[i + 1] != null) {
                    g.writeStringField(namesAndValues[i], namesAndValues[i + 1]);
                }
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array stream does not fail
        }
        return out.toByteArray();
    }

    /** Called after each response is handed to Undertow; starts the warm-up once. */
    static void responded() {
        if (warmUpStarted) {
            return;
        }
        synchronized (ResponseJson.class) {
            if (warmUpStarted) {
                return;
            }
            warmUpStarted = true;
        }
        Thread t = new Thread(ResponseJson::warmUp, "ember-json-warm-up");
        t.setDaemon(true);
        t.start();
    }

    /** Builds the mapper and the generic (de)serialiser machinery a configuration request uses. */
    private static void warmUp() {
        try {
            StrictJson.parse("{\"vcpu_count\": 1, \"mem_size_mib\": 128}".getBytes(StandardCharsets.US_ASCII),
                    MachineConfig.class, "machine-config");
            StrictJson.write(new InstanceInfo("warm-up", "Not started", "", ""));
        } catch (ConfigException | RuntimeException e) {
            // Only a warm-up: a real request reports whatever is wrong.
        }
    }
}
