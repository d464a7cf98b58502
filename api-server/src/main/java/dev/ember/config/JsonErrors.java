package dev.ember.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.PropertyBindingException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * StrictJson's words for Jackson's errors (naming the field and what it accepts), and the one
 * check Jackson does not make (lone surrogates). Apart from the mapper, so that
 * {@link StrictReader} uses them without building it.
 */
final class JsonErrors {
    private JsonErrors() {}

    /**
     * Refuses a backslash-u escape of a UTF-16 surrogate that is not half of a pair, as
     * Firecracker's JSON parser does: Jackson would accept it, and the string then cannot be
     * a file name nor be written back as UTF-8. Raw UTF-8 cannot encode a surrogate (the
     * parser refuses such bytes), so only escapes need checking.
     */
    static void requireValidUnicode(byte[] json, String where) throws ConfigException {
        boolean inString = false;
        int stringStart = 0;
        int lastStart = 0;
        int lastEnd = 0;
        int keyStart = 0; // the field the scan is in, for the message
        int keyEnd = 0;
        for (int i = 0; i < json.length; i++) {
            byte b = json[i];
            if (b == '"') {
                inString = !inString;
                if (inString) {
                    stringStart = i + 1;
                } else {
                    lastStart = stringStart;
                    lastEnd = i;
                }
            } else if (!inString && b == ':') {
                keyStart = lastStart;
                keyEnd = lastEnd;
            } else if (inString && b == '\\') {
                int unit = i + 5 < json.length && json[i + 1] == 'u' ? hex4(json, i + 2) : -1;
                if (unit >= 0xD800 && unit <= 0xDBFF) {
                    int next = i + 11 < json.length && json[i + 6] == '\\' && json[i + 7] == 'u' ? hex4(json, i + 8) : -1;
                    if (next < 0xDC00 || next > 0xDFFF) {
                        throw loneSurrogate(field(json, where, keyStart, keyEnd), unit, i);
                    }
                    i += 11;
                } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
                    throw loneSurrogate(field(json, where, keyStart, keyEnd), unit, i);
                } else {
                    i += unit >= 0 ? 5 : 1; // past the escape: an escaped quote does not end the string
                }
            }
        }
    }

    private static String field(byte[] json, String where, int keyStart, int keyEnd) {
        return keyEnd == 0 ? where : where + "." + new String(json, keyStart, keyEnd - keyStart, java.nio.charset.StandardCharsets.UTF_8);
    }

    private static ConfigException loneSurrogate(String where, int unit, int offset) {
        return new ConfigException(ConfigException.Reason.MALFORMED_JSON, String.format(
                "%s: lone surrogate \\u%04x in a string (byte %d); JSON strings must be valid Unicode", where, unit, offset));
    }

    private static int hex4(byte[] json, int at) {
        if (at + 4 > json.length) {
            return -1;
        }
        int v = 0;
        for (int i = at; i < at + 4; i++) {
            int d = Character.digit(json[i], 16);
            if (d < 0) {
                return -1;
            }
            v = v * 16 + d;
        }
        return v;
    }

    /**
     * A message naming the field and what it accepts, led by serde_json's words and position
     * for the same bytes (which Firecracker's texts end with, then a period), then ours naming
     * the field and the fix. {@code json} is the body (null for a tree: no position).
     */
    static String describe(JsonProcessingException e, String where, byte[] json) {
        String syntax = SerdeSyntax.describe(e, json, where);
        if (syntax != null) {
            return syntax;
        }
        String field = e instanceof JsonMappingException jme ? path(jme, where) : where;
        if (e instanceof PropertyBindingException u) { // an unknown field, refused as met (UnknownFieldsAsMet)
            String parent = path(u, where, true);
            return unknownField(u.getPropertyName(), parent, recordFields(u.getReferringClass(), u.getKnownPropertyIds()),
                    SerdePosition.of(json, where, field, SerdePosition.Mark.KEY));
        }
        if (e instanceof InvalidFormatException f && f.getTargetType() != null && f.getTargetType().isEnum()) {
            return unknownVariant(String.valueOf(f.getValue()).trim(), field, enumNames(f.getTargetType()),
                    SerdePosition.of(json, where, field, SerdePosition.Mark.VALUE));
        }
        if (e instanceof MismatchedInputException m) {
            String message = String.valueOf(m.getOriginalMessage());
            if (message.startsWith("Trailing token")) {
                return serde("trailing characters", jacksonAt(e.getLocation()), where + " holds more than one JSON value; send one object");
            }
            if (message.startsWith("Missing required creator property")) {
                String name = between(message, '\'');
                String object = field.endsWith("." + name) ? field.substring(0, field.length() - name.length() - 1) : field;
                return missingField(name, object, SerdePosition.of(json, where, object, SerdePosition.Mark.OBJECT_END));
            }
            if (message.startsWith("No content to map")) {
                return noValue(json, where);
            }
            return invalidType(json, where, field, expected(m.getTargetType()));
        }
        if (e instanceof JsonMappingException m && m.getCause() instanceof RustInteger.Refused r) {
            return integerRefused(r, field, SerdePosition.of(json, where, field, SerdePosition.Mark.VALUE));
        }
        if (e instanceof JsonMappingException m && m.getCause() instanceof IllegalArgumentException iae) {
            int start = SerdePosition.valueStart(json, where, field);
            java.math.BigInteger size = start < 0 ? null : integer(token(json, start));
            if (size != null && iae.getMessage().equals(UnsignedMib.refusal(size))) {
                return sizeRefused(size, field, SerdePosition.ofTokenAt(json, start));
            }
            return serde("invalid value", SerdePosition.of(json, where, field, SerdePosition.Mark.VALUE),
                    field + ": " + iae.getMessage());
        }
        String message = e.getOriginalMessage();
        if (message != null && message.startsWith("Duplicate field")) {
            return serde("duplicate field `" + between(message, '\'') + "`", jacksonAt(e.getLocation()),
                    where + ": each field may appear once");
        }
        return serde("malformed JSON", jacksonAt(e.getLocation()), where + ": " + firstLine(message));
    }

    /** A body with no JSON value: empty, or white space only (which serde refuses at its end). */
    static String noValue(byte[] json, String where) {
        return json == null || json.length == 0 ? where + ": the body is empty; send a JSON object"
                : SerdeSyntax.describe(SerdeSyntax.Code.EOF_VALUE, json, json.length, where);
    }

    /** serde's text, its position (may be empty), its closing period, then our sentence. */
    static String serde(String serdeText, String at, String ours) {
        return serdeText + at + ". " + ours;
    }

    /** serde's "missing field `x`" for the object at {@code object}, then the field's path and the fix. */
    static String missingField(String name, String object, String at) {
        return serde("missing field `" + name + "`", at, object + "." + name + " is required; add it to " + object);
    }

    /** serde's "unknown field `x`, expected ..." (fields in declaration order), then where and the fix. */
    static String unknownField(String name, String parent, List<String> fields, String at) {
        String expected = fields.isEmpty() ? "there are no fields" : "expected " + oneOf(fields);
        return serde("unknown field `" + name + "`, " + expected, at,
                parent + " has no field `" + name + "`; remove it or correct its name");
    }

    /**
     * serde's "invalid type: string \"-2\", expected u64" for the value at {@code field}, read from
     * the bytes, then what the field takes.
     */
    static String invalidType(byte[] json, String where, String field, String expected) {
        int start = SerdePosition.valueStart(json, where, field);
        String unexpected = start < 0 ? null : unexpected(json, start);
        String serdeText = unexpected == null ? "invalid type" : "invalid type: " + unexpected + ", expected " + serdeExpected(field, expected);
        return serde(serdeText, SerdePosition.ofTokenAt(json, start < 0 || json[start] == '{' || json[start] == '[' ? -1 : start),
                field + " must be " + expected);
    }

    /** A size in MiB out of usize's range: serde reads a bigger integer as a float, and refuses a negative one. */
    static String sizeRefused(java.math.BigInteger v, String field, String at) {
        return serde(RustInteger.of(field).refusal(v), at, field + " is " + v + ", not a size: use 0 to 18446744073709551615");
    }

    /** serde's refusal of an integer out of the field's Rust type, then the field and the type's range. */
    static String integerRefused(RustInteger.Refused r, String field, String at) {
        return serde(r.getMessage(), at, r.type.range(field, r.value));
    }

    /** serde's name for the value's type and its text ("string \"x\"", "integer `5`", "map"), from the raw token. */
    private static String unexpected(byte[] json, int start) {
        String t = token(json, start);
        return switch (json[start]) {
            case '"' -> "string " + t;
            case '{' -> "map";
            case '[' -> "sequence";
            case 't', 'f' -> "boolean `" + t + "`";
            case 'n' -> "null";
            default -> t.contains(".") || t.contains("e") || t.contains("E") ? "floating point `" + floatingPoint(t) + "`" : "integer `" + t + "`";
        };
    }

    /** As serde_json prints the double it reads (past the double range it refuses the number itself). */
    private static String floatingPoint(String token) {
        return Double.isInfinite(Double.parseDouble(token)) ? token : SerdeFloat.of(token);
    }

    private static java.math.BigInteger integer(String token) {
        try {
            return new java.math.BigInteger(token);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String token(byte[] json, int start) {
        int end = json[start] == '{' || json[start] == '[' ? start : SerdePosition.lastByteOfValue(json, start);
        return new String(json, start, end - start + 1, java.nio.charset.StandardCharsets.UTF_8);
    }

    private static String serdeExpected(String field, String ours) {
        if (ours.equals("an integer")) {
            return RustInteger.of(field).rustName; // serde names the field's Rust type
        }
        return ours.startsWith("a string, one of") ? "variant identifier" : SERDE_TYPES.getOrDefault(ours, ours);
    }

    /** serde's names for what a field takes, by ours. */
    private static final Map<String, String> SERDE_TYPES = Map.of("a boolean (true or false)", "a boolean", "an array", "a sequence",
            "a JSON object", "a map");

    /** A Jackson position as serde words one (for syntax errors, where the two parsers stop alike only roughly). */
    static String jacksonAt(JsonLocation loc) {
        return loc == null || loc.getLineNr() < 0 ? "" : " at line " + loc.getLineNr() + " column " + loc.getColumnNr();
    }

    /** A record's JSON field names in declaration order (serde's order); {@code known} sorted otherwise. */
    private static List<String> recordFields(Class<?> type, Collection<?> known) {
        if (type != null && type.isRecord()) {
            List<String> names = new ArrayList<>();
            for (var c : type.getRecordComponents()) {
                var p = c.getAccessor().getAnnotation(com.fasterxml.jackson.annotation.JsonProperty.class);
                names.add(p != null ? p.value() : c.getName());
            }
            return names;
        }
        List<String> names = new ArrayList<>();
        if (known != null) {
            for (Object o : known) {
                names.add(String.valueOf(o));
            }
        }
        names.sort(null);
        return names;
    }

    private static String between(String s, char quote) {
        int a = s.indexOf(quote);
        int b = a < 0 ? -1 : s.indexOf(quote, a + 1);
        return b < 0 ? s : s.substring(a + 1, b);
    }

    private static String path(JsonMappingException e, String where) {
        return path(e, where, false);
    }

    /** {@code where.a[2].b}; with {@code parentOnly} the last field is left off. */
    private static String path(JsonMappingException e, String where, boolean parentOnly) {
        StringBuilder sb = new StringBuilder(where);
        List<JsonMappingException.Reference> refs = new ArrayList<>(e.getPath());
        if (parentOnly && !refs.isEmpty()) {
            refs.remove(refs.size() - 1);
        }
        for (JsonMappingException.Reference r : refs) {
            if (r.getFieldName() != null) {
                sb.append(sb.length() == 0 ? "" : ".").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.length() == 0 ? "the body" : sb.toString();
    }

    private static String expected(Class<?> type) {
        if (type == null) {
            return "a different JSON type";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "a boolean (true or false)";
        }
        if (type == Long.class || type == long.class || type == Integer.class || type == int.class) {
            return "an integer";
        }
        if (type.isEnum()) {
            return "a string, one of: " + String.join(", ", enumNames(type));
        }
        if (List.class.isAssignableFrom(type) || type.isArray()) {
            return "an array";
        }
        if (JsonNode.class.isAssignableFrom(type)) {
            return "a JSON value";
        }
        return "a JSON object";
    }

    /**
     * The enums whose JSON spellings are not their constants' Java names ({@code @JsonProperty}
     * on a constant), said here without reading the annotations: reading one makes the JVM
     * generate a proxy class, ~20 ms of interpreted work, which landed on a snapshot load
     * (machine-config's huge_pages). JsonErrorsTest checks this table against every enum's annotations.
     */
    private static final Map<Class<?>, List<String>> RENAMED = Map.of(HugePages.class, List.of("None", "Transparent", "2M"));

    /**
     * An enum value not among {@code names}, worded as serde words it for Firecracker (its tests
     * match "unknown variant `foo`, expected `V1` or `V2`"), names in declaration order; then
     * the field and what to set it to.
     */
    static String unknownVariant(String value, String field, List<String> names, String at) {
        return serde("unknown variant `" + value + "`, expected " + oneOf(names), at,
                "Set " + field + " to one of: " + String.join(", ", names));
    }

    /** serde's list of what it expected: "`a`", "`a` or `b`", "one of `a`, `b`, `c`". */
    private static String oneOf(List<String> names) {
        StringBuilder expected = new StringBuilder(names.size() > 2 ? "one of " : "");
        for (int i = 0; i < names.size(); i++) {
            if (i > 0) {
                expected.append(names.size() == 2 ? " or " : ", ");
            }
            expected.append('`').append(names.get(i)).append('`');
        }
        return expected.toString();
    }

    /** The JSON spellings of an enum's constants ({@code @JsonProperty} names where given). */
    static List<String> enumNames(Class<?> type) {
        List<String> renamed = RENAMED.get(type);
        if (renamed != null) {
            return renamed;
        }
        List<String> names = new ArrayList<>();
        for (Object constant : type.getEnumConstants()) {
            names.add(((Enum<?>) constant).name());
        }
        return names;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unknown error";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
