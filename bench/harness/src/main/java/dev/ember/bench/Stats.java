package dev.ember.bench;

import java.util.Arrays;

/**
 * Summary of one measured figure over repeated runs: median and tail percentiles (nearest-rank),
 * extremes, mean and standard deviation. Every figure in the report carries its spread.
 */
public final class Stats {
    private final double[] sorted;
    private final double mean;
    private final double stdev;

    private Stats(double[] values) {
        this.sorted = values.clone();
        Arrays.sort(sorted);
        double sum = 0;
        for (double v : sorted) {
            sum += v;
        }
        mean = sorted.length == 0 ? Double.NaN : sum / sorted.length;
        double sq = 0;
        for (double v : sorted) {
            sq += (v - mean) * (v - mean);
        }
        stdev = sorted.length < 2 ? 0 : Math.sqrt(sq / (sorted.length - 1));
    }

    public static Stats of(double... values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("no samples");
        }
        for (double v : values) {
            if (Double.isNaN(v)) {
                throw new IllegalArgumentException("a sample is NaN (not measured): leave it out or report the figure as not measured");
            }
        }
        return new Stats(values);
    }

    public int count() {
        return sorted.length;
    }

    /** Nearest-rank percentile, {@code p} in (0, 100]. */
    public double percentile(double p) {
        if (p <= 0 || p > 100) {
            throw new IllegalArgumentException("percentile must be in (0, 100]: " + p);
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }

    /** The middle value (mean of the two middle values for an even count). */
    public double median() {
        int n = sorted.length;
        return (n & 1) == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    public double p90() {
        return percentile(90);
    }

    public double p99() {
        return percentile(99);
    }

    public double min() {
        return sorted[0];
    }

    public double max() {
        return sorted[sorted.length - 1];
    }

    public double mean() {
        return mean;
    }

    public double stdev() {
        return stdev;
    }
}
