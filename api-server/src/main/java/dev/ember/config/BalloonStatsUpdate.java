package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.io.IOException;

/** PATCH {@code /balloon/statistics}: a new polling interval (statistics cannot be toggled). */
public record BalloonStatsUpdate(@JsonProperty("stats_polling_interval_s") Long statsPollingIntervalS) {
    void validate() throws ConfigException {
        Check.range(statsPollingIntervalS, 0, 0xFFFF, "stats_polling_interval_s");
    }

    static final List<String> FIELDS = List.of("stats_polling_interval_s");

    /** The body of PATCH /balloon/statistics, bound with {@link StrictReader}: errors as {@link StrictJson#parse} words them. */
    public static BalloonStatsUpdate read(byte[] json, String where) throws ConfigException {
        return StrictReader.read(json, where, (in, path) -> in.object(path) ? read(in, path) : null);
    }

    /** With the parser on the object's start. */
    static BalloonStatsUpdate read(StrictReader in, String path) throws IOException, ConfigException {
        Long statsPollingIntervalS = null;
        while (in.field(path, FIELDS) != null) {
            statsPollingIntervalS = in.longValue(path + ".stats_polling_interval_s");
        }
        return new BalloonStatsUpdate(statsPollingIntervalS);
    }
}
