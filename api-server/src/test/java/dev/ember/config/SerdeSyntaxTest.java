package dev.ember.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Bytes that are not JSON are refused with serde_json's words and position, in both binding paths.
 * The expected texts are serde_json's for the same bytes: its own test suite's cases (parse errors of
 * lists, objects, literals, numbers and strings) set inside a body, and the ones Firecracker answers.
 */
class SerdeSyntaxTest {
    private static final String[][] OBJECT_CASES = { // a machine-config body, serde's text
        {"{", "EOF while parsing an object at line 1 column 1"},
        {"{ ", "EOF while parsing an object at line 1 column 2"},
        {"{1", "key must be a string at line 1 column 2"},
        {"{'vcpu_count': 1}", "key must be a string at line 1 column 2"},
        {"{ \"vcpu_count\"", "EOF while parsing an object at line 1 column 14"},
        {"{\"vcpu_count\" ", "EOF while parsing an object at line 1 column 14"},
        {"{\"vcpu_count\" 1", "expected `:` at line 1 column 15"},
        {"{\"vcpu_count\":", "EOF while parsing a value at line 1 column 14"},
        {"{\"vcpu_count\": 1", "EOF while parsing an object at line 1 column 16"},
        {"{\"vcpu_count\": 1 1", "expected `,` or `}` at line 1 column 18"},
        {"{\"vcpu_count\": 1 \"mem_size_mib\": 2}", "expected `,` or `}` at line 1 column 18"},
        {"{\"vcpu_count\": 1,", "EOF while parsing a value at line 1 column 17"},
        {"{\"vcpu_count\": 1, }", "trailing comma at line 1 column 19"},
        {"{\"vcpu_count\": 1, ]", "key must be a string at line 1 column 19"},
        {"{\"vcpu_count\": 1 ]", "expected `,` or `}` at line 1 column 18"},
        {"{\"vcpu_count\": }", "expected value at line 1 column 16"},
        {"{\"vcpu_count\": x}", "expected value at line 1 column 16"},
        {"{\"vcpu_count\": +1}", "expected value at line 1 column 16"},
        {"{\"vcpu_count\": .5}", "expected value at line 1 column 16"},
        {"{\"vcpu_count\": NaN}", "expected value at line 1 column 16"},
        {"{\"vcpu_count\": -Infinity}", "invalid number at line 1 column 17"},
        {"{\"vcpu_count\": 00}", "invalid number at line 1 column 17"},
        {"{\"vcpu_count\": -01}", "invalid number at line 1 column 18"},
        {"{\"vcpu_count\": -x}", "invalid number at line 1 column 17"},
        {"{\"vcpu_count\": 1.a}", "invalid number at line 1 column 18"},
        {"{\"vcpu_count\": 1.e1}", "invalid number at line 1 column 18"},
        {"{\"vcpu_count\": 1e}", "invalid number at line 1 column 18"},
        {"{\"vcpu_count\": -", "EOF while parsing a value at line 1 column 16"},
        {"{\"vcpu_count\": 1.", "EOF while parsing a value at line 1 column 17"},
        {"{\"vcpu_count\": 1e", "EOF while parsing a value at line 1 column 17"},
        {"{\"vcpu_count\": 1e+", "EOF while parsing a value at line 1 column 18"},
        {"{\"vcpu_count\": 0x80}", "expected `,` or `}` at line 1 column 17"},
        {"{\"vcpu_count\": 1a}", "expected `,` or `}` at line 1 column 17"},
        {"{\"smt\": tru}", "expected ident at line 1 column 12"},
        {"{\"smt\": truz}", "expected ident at line 1 column 12"},
        {"{\"smt\": faz}", "expected ident at line 1 column 11"},
        {"{\"smt\": nulL}", "expected ident at line 1 column 12"},
        {"{\"smt\": t", "EOF while parsing a value at line 1 column 9"},
        {"  {\"smt\": fals", "EOF while parsing a value at line 1 column 14"},
        {"{\"smt\": truex}", "expected `,` or `}` at line 1 column 13"},
        {"{\"cpu_template\": \"lol", "EOF while parsing a string at line 1 column 21"},
        {"{\"cpu_temp", "EOF while parsing a string at line 1 column 10"},
        {"{\"cpu_template\": \"\\", "EOF while parsing a string at line 1 column 19"},
        {"{\"cpu_template\": \"\\u00", "EOF while parsing a string at line 1 column 22"},
        {"{\"cpu_template\": \"\\x\"}", "invalid escape at line 1 column 20"},
        {"{\"cpu_template\": \"\\u0x00\"}", "invalid escape at line 1 column 22"},
        {"{\"cpu_template\": \"a\tb\"}", "control character (\\u0000-\\u001F) found while parsing a string at line 1 column 20"},
        {"{\"cpu_template\": \"\n\"}", "control character (\\u0000-\\u001F) found while parsing a string at line 2 column 0"},
        {"{\"vcpu\n_count\": 1}", "control character (\\u0000-\\u001F) found while parsing a string at line 2 column 0"},
        {"{\"vcpu_count\": 1, \"mem_size_mib\": 128}a", "trailing characters at line 1 column 39"},
        {"{\"vcpu_count\": 1, \"mem_size_mib\": 128} x", "trailing characters at line 1 column 40"},
        {"{\"vcpu_count\": 1, \"mem_size_mib\": 128}\n\n tru", "trailing characters at line 3 column 2"},
        {"{\"vcpu_count\": 1, \"mem_size_mib\": 128}}", "trailing characters at line 1 column 39"},
        {"{\n  \"vcpu_count\":\n 2", "EOF while parsing an object at line 3 column 2"},
        {"   ", "EOF while parsing a value at line 1 column 3"},
    };

    private static final String[][] LIST_CASES = { // an mmds-config body, network_interfaces a list
        {"{\"network_interfaces\": [", "EOF while parsing a list at line 1 column 24"},
        {"{\"network_interfaces\": [ ", "EOF while parsing a list at line 1 column 25"},
        {"{\"network_interfaces\": [\"a\"", "EOF while parsing a list at line 1 column 27"},
        {"{\"network_interfaces\": [\"a\",", "EOF while parsing a value at line 1 column 28"},
        {"{\"network_interfaces\": [\"a\",]}", "trailing comma at line 1 column 29"},
        {"{\"network_interfaces\": [\"a\" \"b\"]}", "expected `,` or `]` at line 1 column 29"},
        {"{\"network_interfaces\": [\"a\" }", "expected `,` or `]` at line 1 column 29"},
        {"{\"network_interfaces\": [}", "expected value at line 1 column 25"},
        {"{\"network_interfaces\": [, \"a\"]}", "expected value at line 1 column 25"},
        {"{\"network_interfaces\": [\"a\",\n \"b\"}", "expected `,` or `]` at line 2 column 5"},
        {"{\"network_interfaces\": [nullx]}", "expected `,` or `]` at line 1 column 29"},
    };

    @Test
    void syntaxErrorsInAnObjectAreSerdes() {
        for (String[] c : OBJECT_CASES) {
            byte[] json = c[0].getBytes(StandardCharsets.UTF_8);
            String databind = refusal(() -> StrictJson.parse(json, MachineConfig.class, "machine-config"));
            assertEquals(c[1] + ". machine-config is not JSON: ", databind.substring(0, Math.min(databind.length(), databind.indexOf(" is not JSON: ") + 14)),
                    c[0] + " -> " + databind);
            assertEquals(databind, refusal(() -> MachineConfig.read(json, "machine-config")), "the streamed reader, for " + c[0]);
        }
    }

    @Test
    void syntaxErrorsInAnArrayAreSerdes() {
        for (String[] c : LIST_CASES) {
            byte[] json = c[0].getBytes(StandardCharsets.UTF_8);
            String databind = refusal(() -> StrictJson.parse(json, MmdsConfig.class, "mmds-config"));
            assertEquals(c[1] + ".", databind.substring(0, Math.min(databind.length(), c[1].length() + 1)), c[0] + " -> " + databind);
        }
    }

    @Test
    void aTreeIsRefusedAsAnObjectIs() {
        byte[] json = "{\"a\": [1, 2,]}".getBytes(StandardCharsets.UTF_8);
        String refused = refusal(() -> StrictTree.read(json, "mmds"));
        assertEquals("trailing comma at line 1 column 13. mmds is not JSON: remove the comma before the closing bracket", refused);
        assertEquals(refused, refusal(() -> StrictJson.tree(json, "mmds")));
    }

    private static String refusal(org.junit.jupiter.api.function.Executable binding) {
        return assertThrows(ConfigException.class, binding).getMessage();
    }
}
