package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.io.IOException;

/** PATCH {@code /balloon}: a new target size. */
public record BalloonUpdate(@JsonProperty("amount_mib") Long amountMib) {
    void validate(long memSizeMib) throws ConfigException {
        Check.range(amountMib, 0, 0xFFFF_FFFFL, "amount_mib");
        if (Long.compareUnsigned(amountMib, memSizeMib) > 0) {
            throw new ConfigException(ConfigException.Reason.INVALID_VALUE, "Amount of pages requested is too large. (amount_mib is " + amountMib
                    + " but machine-config.mem_size_mib is " + UnsignedMib.toString(memSizeMib) + ")");
        }
    }

    static final List<String> FIELDS = List.of("amount_mib");

    /** The body of PATCH /balloon, bound with {@link StrictReader}: errors as {@link StrictJson#parse} words them. */
    public static BalloonUpdate read(byte[] json, String where) throws ConfigException {
        return StrictReader.read(json, where, (in, path) -> in.object(path) ? read(in, path) : null);
    }

    /** With the parser on the object's start. */
    static BalloonUpdate read(StrictReader in, String path) throws IOException, ConfigException {
        Long amountMib = null;
        while (in.field(path, FIELDS) != null) {
            amountMib = in.longValue(path + ".amount_mib");
        }
        return new BalloonUpdate(amountMib);
    }
}
