package dev.ember.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** serde_json's printing of a double in its errors (ryu's layout), from the JSON number's text. */
class SerdeFloatTest {
    @Test
    void printsTheShortestDigitsInRyusLayout() {
        String[][] cases = {
            {"1.5", "1.5"}, {"1.50", "1.5"}, {"1e3", "1000.0"}, {"1.0", "1.0"}, {"-2.25", "-2.25"},
            {"1E15", "1000000000000000.0"}, {"1e16", "1e16"}, {"18446744073709551616", "1.8446744073709552e19"},
            {"-9223372036854775809", "-9.223372036854776e18"}, {"0.1", "0.1"}, {"0.00001", "0.00001"},
            {"0.000001", "1e-6"}, {"1.5e-7", "1.5e-7"}, {"1e300", "1e300"}, {"5e-324", "5e-324"},
            {"0.0", "0.0"}, {"-0.0", "-0.0"}, {"123456.789e3", "123456789.0"}, {"0.30000000000000004", "0.30000000000000004"}};
        for (String[] c : cases) {
            assertEquals(c[1], SerdeFloat.of(c[0]), c[0]);
        }
    }
}
