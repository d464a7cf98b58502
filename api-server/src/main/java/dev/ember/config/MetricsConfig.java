package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/** {@code metrics}: the file or FIFO that receives one JSON object per flush. */
public record MetricsConfig(@JsonProperty("metrics_path") String metricsPath) {
    void validate() throws ConfigException {
        Check.path(metricsPath, "metrics.metrics_path");
    }
}
