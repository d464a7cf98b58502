package dev.ember.config;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import java.io.IOException;
import java.math.BigInteger;

/**
 * A size in MiB as Firecracker types it (Rust {@code usize}): any integer 0 to 2^64−1, held in a
 * {@code long}'s 64 bits and read unsigned ({@link Long#compareUnsigned}, {@link Long#toUnsignedString}).
 * So {@code mem_size_mib} 18446744073709551615 is accepted at PUT and shown back by GET, as
 * Firecracker does, and refused at InstanceStart, where the size meets the host.
 */
public final class UnsignedMib {
    private static final BigInteger U64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    private UnsignedMib() {}

    public static String toString(long mib) {
        return Long.toUnsignedString(mib);
    }

    /** Why {@code v} is no size in MiB, or null when it is one. */
    static String refusal(BigInteger v) {
        return v.signum() < 0 || v.compareTo(U64_MAX) > 0 ? v + " is not a size: use 0 to 18446744073709551615" : null;
    }

    public static final class Reader extends JsonDeserializer<Long> {
        @Override
        public Long deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
                return (Long) ctxt.handleUnexpectedToken(Long.class, p);
            }
            BigInteger v = p.getBigIntegerValue();
            String message = refusal(v);
            if (message != null) {
                throw JsonMappingException.from(p, message, new IllegalArgumentException(message));
            }
            return v.longValue(); // the low 64 bits: the unsigned value
        }
    }

    public static final class Writer extends JsonSerializer<Long> {
        @Override
        public void serialize(Long value, JsonGenerator gen, SerializerProvider serializers) throws IOException {
            gen.writeNumber(Long.toUnsignedString(value));
        }
    }
}
