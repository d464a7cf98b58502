package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.io.IOException;

/** {@code metrics}: the file or FIFO that receives one JSON object per flush. */
public record MetricsConfig(@JsonProperty("metrics_path") String metricsPath) {
    void validate() throws ConfigException {
        Check.path(metricsPath, "metrics.metrics_path");
    }

    static final List<String> FIELDS = List.of("metrics_path");

    /** The body of PUT /metrics, bound with {@link StrictReader}: errors as {@link StrictJson#parse} words them. */
    public static MetricsConfig read(byte[] json, String where) throws ConfigException {
        return StrictReader.read(json, where, (in, path) -> {
            in.object(path);
            String metricsPath = null;
            while (in.field(path, FIELDS) != null) {
                metricsPath = in.string(path + ".metrics_path");
            }
            return new MetricsConfig(metricsPath);
        });
    }
}
