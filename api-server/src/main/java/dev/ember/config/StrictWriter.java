package dev.ember.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Bodies written with jackson-core's generator, byte for byte as {@link StrictJson#write} writes
 * them (fields in the record's order, nulls left out but where a record keeps one, as
 * Firecracker's GET /vm/config shows it): for what the boot path writes (GET
 * /machine-config, a snapshot's recorded configuration), so a VMM that boots never builds
 * databind's serialisers, and its AOT cache need not hold databind.
 */
public final class StrictWriter {
    private static final JsonFactory FACTORY = new JsonFactory();

    private StrictWriter() {}

    /** Writes one JSON value. */
    @FunctionalInterface
    public interface Body {
        void write(JsonGenerator out) throws IOException;
    }

    /** A record that writes itself as {@link StrictJson#write} would (a response body, a recorded section). */
    public interface Writable {
        void write(JsonGenerator out) throws IOException;
    }

    public static byte[] write(Body body) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        try (JsonGenerator out = FACTORY.createGenerator(bytes)) {
            body.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array stream does not fail
        }
        return bytes.toByteArray();
    }

    static void string(JsonGenerator out, String name, String value) throws IOException {
        if (value != null) {
            out.writeStringField(name, value);
        }
    }

    static void bool(JsonGenerator out, String name, Boolean value) throws IOException {
        if (value != null) {
            out.writeBooleanField(name, value);
        }
    }

    static void number(JsonGenerator out, String name, Long value) throws IOException {
        if (value != null) {
            out.writeNumberField(name, value);
        }
    }

    /** A member Firecracker writes even when absent, as {@code null}: the record marks it {@code @JsonInclude(ALWAYS)}. */
    static void stringOrNull(JsonGenerator out, String name, String value) throws IOException {
        if (!wroteNull(out, name, value)) {
            out.writeStringField(name, value);
        }
    }

    /** As {@link #stringOrNull}. */
    static void boolOrNull(JsonGenerator out, String name, Boolean value) throws IOException {
        if (!wroteNull(out, name, value)) {
            out.writeBooleanField(name, value);
        }
    }

    /** As {@link #stringOrNull}. */
    static void numberOrNull(JsonGenerator out, String name, Long value) throws IOException {
        if (!wroteNull(out, name, value)) {
            out.writeNumberField(name, value);
        }
    }

    /** As {@link #stringOrNull}. */
    static void enumOrNull(JsonGenerator out, String name, Enum<?> value) throws IOException {
        if (!wroteNull(out, name, value)) {
            enumValue(out, name, value);
        }
    }

    /** As {@link #stringOrNull}, for a member object that writes itself (no lambda: the snapshot path links none). */
    static void objectOrNull(JsonGenerator out, String name, Writable value) throws IOException {
        if (!wroteNull(out, name, value)) {
            out.writeFieldName(name);
            value.write(out);
        }
    }

    private static boolean wroteNull(JsonGenerator out, String name, Object value) throws IOException {
        if (value == null) {
            out.writeNullField(name);
        }
        return value == null;
    }

    /** An enum constant by its JSON name ({@code @JsonProperty} where given), as databind writes it. */
    static void enumValue(JsonGenerator out, String name, Enum<?> value) throws IOException {
        if (value != null) {
            out.writeStringField(name, JsonErrors.enumNames(value.getDeclaringClass()).get(value.ordinal()));
        }
    }
}
