package dev.ember.jailer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.sys.InstanceId;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The jailer checks --id and --main-class by hand, not with regular expressions (they cost its
 * start a compiled pattern, interpreted): the checks accept exactly what the patterns they
 * replaced accepted.
 */
class JailConfigTest {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9-]{1,64}");
    private static final Pattern CLASS_NAME = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*");

    @Test
    void idAndClassNameChecksAcceptWhatThePatternsAccepted() {
        String alphabet = "aZ09-._$ é/\u0661";   // \u0661: a digit outside ASCII, which [0-9] refuses
        Random random = new Random(14);
        int ids = 0;
        int names = 0;
        for (int n = 0; n < 200_000; n++) {
            int length = random.nextInt(n % 10 == 0 ? 70 : 8);
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < length; i++) {
                s.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            String x = s.toString();
            assertEquals(ID.matcher(x).matches(), InstanceId.isValid(x), "--id \"" + x + "\"");
            assertEquals(CLASS_NAME.matcher(x).matches(), JailConfig.isClassName(x), "--main-class \"" + x + "\"");
            ids += InstanceId.isValid(x) ? 1 : 0;
            names += JailConfig.isClassName(x) ? 1 : 0;
        }
        assertTrue(ids > 1000 && names > 1000, "the corpus holds valid ones too: " + ids + " ids, " + names + " class names");
    }

    @Test
    void edgeCases() {
        assertTrue(InstanceId.isValid("a".repeat(64)));
        assertFalse(InstanceId.isValid("a".repeat(65)));
        assertFalse(InstanceId.isValid(""));
        assertFalse(InstanceId.isValid(null));
        assertTrue(JailConfig.isClassName(JailConfig.VMM_MAIN_CLASS));
        assertTrue(JailConfig.isClassName("$._"));
        assertFalse(JailConfig.isClassName(""));
        assertFalse(JailConfig.isClassName("dev..Main"));
        assertFalse(JailConfig.isClassName("dev.Main."));
        assertFalse(JailConfig.isClassName(".Main"));
        assertFalse(JailConfig.isClassName("dev.9Main"));
    }
}
