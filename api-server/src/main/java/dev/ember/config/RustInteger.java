package dev.ember.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.deser.std.NumberDeserializers;
import java.io.IOException;
import java.math.BigInteger;
import java.util.Map;

/**
 * The Rust integer type of one of Firecracker's API fields, and serde's refusal of a JSON integer
 * that does not fit it: serde refuses it while deserialising, before Firecracker's own checks,
 * so a value out of the type's range is answered with serde's text and position, while a value
 * that fits but is out of Firecracker's bounds (vcpu_count 0 or 33) keeps the VMM's text.
 */
enum RustInteger {
    U8("u8", 8),
    U16("u16", 16),
    U32("u32", 32),
    U64("u64", 64),
    USIZE("usize", 64);

    private static final BigInteger I64_MIN = BigInteger.valueOf(Long.MIN_VALUE);
    private static final BigInteger U64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    /**
     * The types of Firecracker's API structs by field name (vmm_config: machine config, balloon
     * and its updates, vsock, memory hotplug and its update; cpu_config: a CPUID modifier's
     * KvmCpuidFlags and a vCPU feature's index); every other integer it takes is a u64 (a token
     * bucket's three).
     */
    private static final Map<String, RustInteger> FIELDS = Map.ofEntries(Map.entry("vcpu_count", U8),
            Map.entry("mem_size_mib", USIZE), Map.entry("amount_mib", U32), Map.entry("stats_polling_interval_s", U16),
            Map.entry("guest_cid", U32), Map.entry("total_size_mib", USIZE), Map.entry("block_size_mib", USIZE),
            Map.entry("slot_size_mib", USIZE), Map.entry("requested_size_mib", USIZE), Map.entry("flags", U32),
            Map.entry("index", U32));

    final String rustName;
    final BigInteger max;
    private final long longMax; // the largest long that fits

    RustInteger(String rustName, int bits) {
        this.rustName = rustName;
        this.max = BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE);
        this.longMax = bits >= 64 ? Long.MAX_VALUE : (1L << bits) - 1;
    }

    /** Whether {@code v} fits, without allocating (the common case, checked on every integer bound). */
    boolean fits(long v) {
        return v >= 0 && v <= longMax;
    }

    /**
     * The integer token the parser is on, refused as serde refuses it for the field at
     * {@code path} ({@link Refused}), or null when it fits or is no long (a u64 above 2^63−1,
     * which the caller's long read refuses as before).
     */
    static Refused check(JsonParser p, String path) throws IOException {
        RustInteger type = of(path);
        JsonParser.NumberType n = p.getNumberType();
        if (n != JsonParser.NumberType.BIG_INTEGER && type.fits(p.getLongValue())) {
            return null;
        }
        BigInteger v = p.getBigIntegerValue();
        return type.refusal(v) == null ? null : new Refused(type, v);
    }

    /** The type of the field at {@code path} (its last segment names it). */
    static RustInteger of(String path) {
        return FIELDS.getOrDefault(path.substring(path.lastIndexOf('.') + 1), U64);
    }

    /**
     * serde's text refusing the JSON integer {@code v} for this type, or null when it fits:
     * serde_json reads an integer beyond i64 and u64 as a double, which an integer type refuses
     * as the wrong type; a negative one or one above the type's maximum is the wrong value.
     */
    String refusal(BigInteger v) {
        if (v.compareTo(I64_MIN) < 0 || v.compareTo(U64_MAX) > 0) {
            return "invalid type: floating point `" + SerdeFloat.format(v.doubleValue()) + "`, expected " + rustName;
        }
        if (v.signum() < 0 || v.compareTo(max) > 0) {
            return "invalid value: integer `" + v + "`, expected " + rustName;
        }
        return null;
    }

    /** Ember's sentence after serde's text: the field, its value and the type's range. */
    String range(String field, BigInteger v) {
        return field + " is " + v + ", out of " + rustName + "'s range: use a value from 0 to " + max;
    }

    /** A refusal raised inside databind, mapped back to serde's words by {@link JsonErrors}. */
    static final class Refused extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        final RustInteger type;
        final BigInteger value;

        Refused(RustInteger type, BigInteger value) {
            super(type.refusal(value));
            this.type = type;
            this.value = value;
        }
    }

    /**
     * Databind's reader of every {@code Long} field: an integer out of the field's Rust type is
     * refused as {@link StrictReader#longValue} refuses it; anything else is databind's own.
     */
    static final class Reader extends JsonDeserializer<Long> {
        @SuppressWarnings("unchecked")
        private static final JsonDeserializer<Long> LONGS = (JsonDeserializer<Long>) NumberDeserializers.find(Long.class, Long.class.getName());

        @Override
        public Long deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.currentToken() == JsonToken.VALUE_NUMBER_INT && p.currentName() != null) {
                Refused refused = check(p, p.currentName());
                if (refused != null) {
                    throw JsonMappingException.from(p, refused.getMessage(), refused);
                }
            }
            return LONGS.deserialize(p, ctxt);
        }

        @Override
        public Long getNullValue(DeserializationContext ctxt) throws JsonMappingException {
            return LONGS.getNullValue(ctxt);
        }
    }
}
