package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonGenerator;
import java.util.List;
import java.io.IOException;

/** {@code balloon}: a virtio-balloon device and its initial target. */
public record BalloonConfig(
        @JsonProperty(value = "amount_mib", required = true) Long amountMib,
        @JsonProperty(value = "deflate_on_oom", required = true) Boolean deflateOnOom,
        @JsonProperty("stats_polling_interval_s") Long statsPollingIntervalS,
        @JsonProperty("free_page_hinting") Boolean freePageHinting,
        @JsonProperty("free_page_reporting") Boolean freePageReporting) implements StrictWriter.Writable {
    @Override
    public void write(JsonGenerator out) throws IOException {
        out.writeStartObject();
        StrictWriter.number(out, "amount_mib", amountMib);
        StrictWriter.bool(out, "deflate_on_oom", deflateOnOom);
        StrictWriter.number(out, "stats_polling_interval_s", statsPollingIntervalS);
        StrictWriter.bool(out, "free_page_hinting", freePageHinting);
        StrictWriter.bool(out, "free_page_reporting", freePageReporting);
        out.writeEndObject();
    }


    public BalloonConfig {
        statsPollingIntervalS = statsPollingIntervalS == null ? 0L : statsPollingIntervalS;
        freePageHinting = freePageHinting != null && freePageHinting;
        freePageReporting = freePageReporting != null && freePageReporting;
    }

    void validate(long memSizeMib) throws ConfigException {
        Check.range(amountMib, 0, 0xFFFF_FFFFL, "balloon.amount_mib");
        Check.required(deflateOnOom, "balloon.deflate_on_oom");
        Check.range(statsPollingIntervalS, 0, 0xFFFF, "balloon.stats_polling_interval_s");
        if (Long.compareUnsigned(amountMib, memSizeMib) > 0) {
            throw new ConfigException(ConfigException.Reason.INVALID_VALUE, "Amount of pages requested is too large. (balloon.amount_mib is " + amountMib
                    + " but machine-config.mem_size_mib is " + memSizeMib + "; use at most " + memSizeMib + ")");
        }
    }

    /** serde's non-Option fields of Firecracker's struct, in its order: refused while binding when absent. */

    static final List<String> REQUIRED = List.of("amount_mib", "deflate_on_oom");

    static final List<String> FIELDS = List.of("amount_mib", "deflate_on_oom", "stats_polling_interval_s", "free_page_hinting", "free_page_reporting");

    /** The body of PUT /balloon, bound with {@link StrictReader}: errors as {@link StrictJson#parse} words them. */
    public static BalloonConfig read(byte[] json, String where) throws ConfigException {
        return StrictReader.read(json, where, (in, path) -> in.object(path) ? read(in, path) : null);
    }

    /** With the parser on the object's start. */
    static BalloonConfig read(StrictReader in, String path) throws IOException, ConfigException {
        Long amountMib = null, statsPollingIntervalS = null;
        Boolean deflateOnOom = null, freePageHinting = null, freePageReporting = null;
        for (String f; (f = in.field(path, FIELDS, REQUIRED)) != null; ) {
            String at = path + "." + f;
            switch (f) {
                case "amount_mib" -> amountMib = in.longValue(at);
                case "deflate_on_oom" -> deflateOnOom = in.bool(at);
                case "stats_polling_interval_s" -> statsPollingIntervalS = in.longValue(at);
                case "free_page_hinting" -> freePageHinting = in.bool(at);
                default -> freePageReporting = in.bool(at); // free_page_reporting, the last of FIELDS
            }
        }
        return new BalloonConfig(amountMib, deflateOnOom, statsPollingIntervalS, freePageHinting, freePageReporting);
    }
}
