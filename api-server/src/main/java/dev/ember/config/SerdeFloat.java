package dev.ember.config;

import java.math.BigDecimal;

/**
 * A double as serde_json prints one in "floating point `x`" (its errors format floats with the
 * ryu crate's layout since serde_json 1.0.113, the one Firecracker builds with): the shortest
 * digits that read back as the same double, at least one decimal ("1000.0"), and an exponent
 * for magnitudes of 10^16 and up or below 10^-5 ("1.8446744073709552e19", "1e-7").
 */
final class SerdeFloat {
    private SerdeFloat() {}

    /** The JSON number {@code token} as serde_json reads it (a double) and prints it. */
    static String of(String token) {
        return format(Double.parseDouble(token));
    }

    static String format(double d) {
        String sign = Double.doubleToRawLongBits(d) < 0 ? "-" : "";
        if (d == 0) {
            return sign + "0.0";
        }
        // Java's Double.toString gives the same shortest round-trip digits as ryu, in another layout.
        BigDecimal shortest = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        if (shortest.precision() == 2) {
            // Java prints at least two digits (Double.MIN_VALUE is 4.9E-324); ryu one when one reads back (5e-324).
            BigDecimal one = shortest.round(new java.math.MathContext(1, java.math.RoundingMode.HALF_EVEN));
            if (Double.parseDouble(one.toString()) == Math.abs(d)) {
                shortest = one.stripTrailingZeros();
            }
        }
        String digits = shortest.unscaledValue().toString();
        int length = digits.length();
        int k = -shortest.scale(); // d = digits * 10^k
        int kk = length + k; // 10^(kk-1) <= |d| < 10^kk
        if (k >= 0 && kk <= 16) {
            return sign + digits + "0".repeat(kk - length) + ".0";
        }
        if (kk > 0 && kk <= 16) {
            return sign + digits.substring(0, kk) + "." + digits.substring(kk);
        }
        if (kk > -5 && kk <= 0) {
            return sign + "0." + "0".repeat(-kk) + digits;
        }
        return sign + (length == 1 ? digits : digits.charAt(0) + "." + digits.substring(1)) + "e" + (kk - 1);
    }
}
