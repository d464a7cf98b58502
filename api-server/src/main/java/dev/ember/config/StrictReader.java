package dev.ember.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A body bound with jackson-core's streaming parser, for the requests whose time counts (a
 * snapshot load into a process just started): databind builds a type's deserialiser by
 * reflection the first time it sees the type, which costs tens of milliseconds of interpreted
 * code. Every error is the one {@link StrictJson#parse} gives for the same bytes, word for word
 * and with the same line and column ({@code StrictReaderTest} compares the two).
 */
public final class StrictReader {
    /** StrictJson's parser settings: duplicate keys are errors (the mapper's own factory has the same defaults). */
    public static final JsonFactory FACTORY = JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    /** Reads one value with the parser on its first token; a null JSON value is handled by the caller. */
    @FunctionalInterface
    public interface Body<T> {
        T read(StrictReader in, String path) throws IOException, ConfigException;
    }

    private final JsonParser parser;
    private final byte[] json; // for serde's positions (SerdePosition)
    private final String where;

    private StrictReader(JsonParser parser, byte[] json, String where) {
        this.parser = parser;
        this.json = json;
        this.where = where;
    }

    /**
     * Does what the first parse in a process does once: jackson-core's parser base class holds
     * BigDecimal constants, and BigDecimal's class initialisation is 20-50 ms of CPU, which
     * otherwise lands on the first request with a body (a snapshot load sent to a ready process).
     */
    public static void prepare() {
        try {
            read("{}".getBytes(java.nio.charset.StandardCharsets.US_ASCII), "prepare", (in, path) -> in.field(path, List.of()));
        } catch (ConfigException e) {
            throw new IllegalStateException("an empty JSON object did not parse", e);
        }
    }

    /** Binds {@code json}, a JSON object, with {@code body}; errors name {@code where} and the field, as StrictJson's. */
    public static <T> T read(byte[] json, String where, Body<T> body) throws ConfigException {
        JsonErrors.requireValidUnicode(json, where);
        try (JsonParser p = FACTORY.createParser(json)) {
            StrictReader in = new StrictReader(p, json, where);
            JsonToken first = p.nextToken();
            if (first == null) {
                throw new ConfigException(ConfigException.Reason.MALFORMED_JSON, JsonErrors.noValue(json, where));
            }
            if (first == JsonToken.VALUE_NULL) {
                in.requireEnd(where);
                throw new ConfigException(ConfigException.Reason.MALFORMED_JSON, where + ": expected a JSON object, got null");
            }
            T value = body.read(in, where);
            in.requireEnd(where);
            return value;
        } catch (JsonProcessingException e) {
            throw new ConfigException(ConfigException.Reason.MALFORMED_JSON, JsonErrors.describe(e, where, json));
        } catch (IOException e) {
            throw new ConfigException(ConfigException.Reason.MALFORMED_JSON, where + ": cannot read the JSON body: " + e.getMessage());
        }
    }

    /** Databind's FAIL_ON_TRAILING_TOKENS: nothing but white space after the value. */
    private void requireEnd(String where) throws IOException, ConfigException {
        if (parser.nextToken() != null) {
            throw new ConfigException(ConfigException.Reason.MALFORMED_JSON, JsonErrors.serde("trailing characters",
                    JsonErrors.jacksonAt(parser.currentTokenLocation()), where + " holds more than one JSON value; send one object"));
        }
    }

    /**
     * At an object's start (true), or at a null (false, the value is absent); anything else is
     * refused as databind refuses it for a record.
     */
    public boolean object(String path) throws IOException, ConfigException {
        JsonToken t = current();
        if (t == JsonToken.VALUE_NULL) {
            return false;
        }
        if (t != JsonToken.START_OBJECT) {
            throw invalidType(path, "a JSON object");
        }
        return true;
    }

    /**
     * The next field of the object at {@code path}, with the parser moved onto its value, or
     * null at the object's end. A field not in {@code accepted} is refused as soon as it is met,
     * listing them, as serde refuses it (deny_unknown_fields): the first problem in the body is
     * the one reported, whatever follows it.
     */
    public String field(String path, List<String> accepted) throws IOException, ConfigException {
        return field(path, accepted, List.of());
    }

    /**
     * As {@link #field(String, List)}, and at the object's end a field of {@code required} not
     * met (absent, not null) is refused as serde refuses it, at the closing brace.
     */
    public String field(String path, List<String> accepted, List<String> required) throws IOException, ConfigException {
        JsonStreamContext object = parser.getParsingContext();
        // Read before each token: the parser clears the context's value when the object ends.
        Fields fields = (Fields) object.getCurrentValue();
        if (fields == null) {
            fields = new Fields();
            object.setCurrentValue(fields);
        }
        if (parser.nextToken() != JsonToken.END_OBJECT) {
            String name = parser.currentName();
            parser.nextToken(); // databind reads the value's first token before it looks the name up
            int index = accepted.indexOf(name);
            if (index < 0) {
                throw unknown(name, path, accepted);
            }
            fields.met |= 1L << index; // a second time is the parser's duplicate error
            return name;
        }
        for (String name : required) {
            if ((fields.met & 1L << accepted.indexOf(name)) == 0) {
                throw malformed(JsonErrors.missingField(name, path, SerdePosition.of(json, where, path, SerdePosition.Mark.OBJECT_END)));
            }
        }
        return null;
    }

    /** What {@link #field} has met in one object. */
    private static final class Fields {
        long met; // bit i: accepted.get(i) was given
    }

    private ConfigException unknown(String name, String path, List<String> accepted) {
        return malformed(JsonErrors.unknownField(name, path, accepted,
                SerdePosition.of(json, where, path + "." + name, SerdePosition.Mark.KEY)));
    }

    /** The token the parser is on; a string's text is decoded (databind decodes even a string it refuses). */
    private JsonToken current() throws IOException {
        JsonToken t = parser.currentToken();
        if (t == JsonToken.VALUE_STRING) {
            parser.getText();
        }
        return t;
    }

    public String string(String path) throws IOException, ConfigException {
        JsonToken t = current();
        if (t == JsonToken.VALUE_STRING) {
            return parser.getText();
        }
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        throw invalidType(path, "a string");
    }

    public Boolean bool(String path) throws IOException, ConfigException {
        JsonToken t = current();
        if (t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE) {
            return t == JsonToken.VALUE_TRUE;
        }
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        throw invalidType(path, "a boolean (true or false)");
    }

    /**
     * A {@code Long} as databind binds one with coercion off: an integer token out of the field's
     * Rust type is refused as serde refuses it ({@link RustInteger}); a fraction, a string or a
     * boolean is the wrong type; a u64 past 2^63−1 is refused as out of range, as jackson-core words it.
     */
    public Long longValue(String path) throws IOException, ConfigException {
        JsonToken t = current();
        if (t == JsonToken.VALUE_NUMBER_INT) {
            RustInteger.Refused refused = RustInteger.check(parser, path);
            if (refused != null) {
                throw malformed(JsonErrors.integerRefused(refused, path, at(path)));
            }
            return parser.getLongValue();
        }
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        throw invalidType(path, "an integer");
    }

    /**
     * A size in MiB as {@link UnsignedMib} reads it: any integer 0 to 2^64−1, kept in a
     * {@code long}'s 64 bits.
     */
    public Long unsignedMib(String path) throws IOException, ConfigException {
        JsonToken t = current();
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        if (t != JsonToken.VALUE_NUMBER_INT) {
            throw invalidType(path, "an integer");
        }
        java.math.BigInteger v = parser.getBigIntegerValue();
        if (UnsignedMib.refusal(v) != null) {
            throw malformed(JsonErrors.sizeRefused(v, path, SerdePosition.of(json, where, path, SerdePosition.Mark.VALUE)));
        }
        return v.longValue();
    }

    /** What a value read from a JSON string is, or why the string is refused ({@link IllegalArgumentException}). */
    @FunctionalInterface
    public interface FromString<T> {
        T parse(String text);
    }

    /**
     * A value databind builds from a string with a creator ({@code @JsonCreator}, e.g.
     * {@link LogLevel#parse}): a string, number or boolean's text is handed to {@code parse},
     * whose refusal names the field; an array or object is the wrong type, {@code expected}
     * naming the right one.
     */
    public <T> T fromString(String path, FromString<T> parse, String expected) throws IOException, ConfigException {
        JsonToken t = current();
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        if (!t.isScalarValue()) {
            throw invalidType(path, expected);
        }
        try {
            return parse.parse(parser.getText()); // a number or a boolean too: databind hands the creator its text
        } catch (IllegalArgumentException e) {
            throw malformed(JsonErrors.serde("invalid value", SerdePosition.of(json, where, path, SerdePosition.Mark.VALUE),
                    path + ": " + e.getMessage()));
        }
    }

    /** An enum constant by its JSON name ({@link StrictJson#enumNames}). */
    public <E extends Enum<E>> E enumValue(String path, Class<E> type) throws IOException, ConfigException {
        JsonToken t = current();
        List<String> names = JsonErrors.enumNames(type);
        if (t == JsonToken.VALUE_STRING) {
            String name = parser.getText().trim(); // databind looks a name up again trimmed, and names that one
            int i = names.indexOf(name);
            if (i < 0) {
                throw malformed(JsonErrors.unknownVariant(name, path, names, at(path)));
            }
            return type.getEnumConstants()[i];
        }
        if (t == JsonToken.VALUE_NUMBER_INT) {
            throw malformed(JsonErrors.unknownVariant(String.valueOf(parser.getIntValue()), path, names, at(path))); // databind reads it as an index, and refuses that
        }
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        throw invalidType(path, "a string, one of: " + String.join(", ", names));
    }

    /** Whether the parser is on a null (the readers' "absent"). */
    public boolean isNull() {
        return parser.currentToken() == JsonToken.VALUE_NULL;
    }

    /** True at a null or an empty array (moved past it); false at anything else. */
    public boolean nullOrEmptyArray() throws IOException {
        JsonToken t = current();
        return t == JsonToken.VALUE_NULL || t == JsonToken.START_ARRAY && parser.nextToken() == JsonToken.END_ARRAY;
    }

    /**
     * Moves past the value the parser is on; false if it held a fractional number (whose range
     * StrictJson's tree checks, which this does not).
     */
    public boolean skipWithoutFractions() throws IOException {
        boolean fractions = false;
        int depth = 0;
        do {
            JsonToken t = current();
            if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
                depth++;
            } else if (t == JsonToken.END_OBJECT || t == JsonToken.END_ARRAY) {
                depth--;
            }
            fractions |= t == JsonToken.VALUE_NUMBER_FLOAT;
        } while (depth > 0 && parser.nextToken() != null);
        return !fractions;
    }

    /**
     * A JSON array whose elements {@code element} reads (each at {@code path[i]}), or null; a null
     * element is refused as the wrong type ({@code expected} the right one), as databind refuses it
     * for a list whose nulls fail ({@code @JsonSetter(contentNulls = Nulls.FAIL)}).
     */
    public <T> List<T> list(String path, Body<T> element, String expected) throws IOException, ConfigException {
        return items(path, element, expected);
    }

    /** A JSON array whose elements {@code element} reads (each at {@code path[i]}), or null. */
    public <T> List<T> list(String path, Body<T> element) throws IOException, ConfigException {
        return items(path, element, null);
    }

    private <T> List<T> items(String path, Body<T> element, String nullRefusedAs) throws IOException, ConfigException {
        JsonToken t = current();
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        if (t != JsonToken.START_ARRAY) {
            throw invalidType(path, "an array");
        }
        List<T> items = new ArrayList<>();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
            String at = path + "[" + items.size() + "]";
            if (parser.currentToken() != JsonToken.VALUE_NULL) {
                items.add(element.read(this, at));
            } else if (nullRefusedAs == null) {
                items.add(null);
            } else {
                throw invalidType(at, nullRefusedAs);
            }
        }
        return items;
    }

    private ConfigException invalidType(String path, String expected) {
        return malformed(JsonErrors.invalidType(json, where, path, expected));
    }

    /** serde's position of the value at {@code path}. */
    private String at(String path) {
        return SerdePosition.of(json, where, path, SerdePosition.Mark.VALUE);
    }

    private static ConfigException malformed(String message) {
        return new ConfigException(ConfigException.Reason.MALFORMED_JSON, message);
    }
}
