package dev.ember.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
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

    /** A one-line message naming the field and what it accepts. */
    static String describe(JsonProcessingException e, String where) {
        String field = e instanceof JsonMappingException jme ? path(jme, where) : where;
        String at = location(e.getLocation());
        if (e instanceof UnrecognizedPropertyException u) {
            String parent = path(u, where, true);
            return "unknown field `" + u.getPropertyName() + "` in " + parent
                    + "; accepted fields: " + join(u.getKnownPropertyIds()) + at;
        }
        if (e instanceof InvalidFormatException f && f.getTargetType() != null && f.getTargetType().isEnum()) {
            return unknownVariant(String.valueOf(f.getValue()), field, enumNames(f.getTargetType())) + at;
        }
        if (e instanceof MismatchedInputException m) {
            String message = String.valueOf(m.getOriginalMessage());
            if (message.startsWith("Trailing token")) {
                return where + ": unexpected content after the JSON value" + at;
            }
            if (message.startsWith("No content to map")) {
                return where + ": the body is empty; send a JSON object";
            }
            String expected = expected(m.getTargetType());
            return "invalid type for " + field + ": expected " + expected + at;
        }
        if (e instanceof JsonMappingException m && m.getCause() instanceof IllegalArgumentException iae) {
            return "invalid value for " + field + ": " + iae.getMessage() + at;
        }
        String message = e.getOriginalMessage();
        if (message != null && message.startsWith("Duplicate field")) {
            return where + ": " + firstLine(message) + "; each field may appear once" + at;
        }
        return where + ": malformed JSON: " + firstLine(message) + at;
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
            return "a string, one of: " + join(enumNames(type));
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
     * match "unknown variant `foo`, expected `V1` or `V2`"), names in declaration order.
     */
    static String unknownVariant(String value, String field, List<String> names) {
        StringBuilder expected = new StringBuilder(names.size() > 2 ? "one of " : "");
        for (int i = 0; i < names.size(); i++) {
            if (i > 0) {
                expected.append(names.size() == 2 ? " or " : ", ");
            }
            expected.append('`').append(names.get(i)).append('`');
        }
        return "unknown variant `" + value + "`, expected " + expected + " for " + field;
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

    private static String join(Collection<?> items) {
        List<String> names = new ArrayList<>();
        if (items != null) {
            for (Object o : items) {
                names.add(String.valueOf(o));
            }
        }
        names.sort(null);
        return String.join(", ", names);
    }

    private static String location(JsonLocation loc) {
        if (loc == null || loc.getLineNr() < 0) {
            return "";
        }
        return " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unknown error";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
