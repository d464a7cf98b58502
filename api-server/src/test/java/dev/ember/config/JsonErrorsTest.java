package dev.ember.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class JsonErrorsTest {
    /**
     * {@link JsonErrors#enumNames} says every configuration enum's JSON spellings without reading
     * annotations; here they are read, for every enum compiled into this package, and must agree.
     */
    @Test
    void everyEnumsJsonNamesAreWhatItsAnnotationsSay() throws Exception {
        Path classes = Path.of(JsonErrors.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<Class<?>> enums = new ArrayList<>();
        try (Stream<Path> files = Files.walk(classes.resolve("dev/ember/config"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = classes.relativize(f).toString();
                if (name.endsWith(".class") && !name.contains("$$")) {
                    Class<?> c = Class.forName(name.substring(0, name.length() - 6).replace('/', '.'), false,
                            JsonErrors.class.getClassLoader());
                    if (c.isEnum()) {
                        enums.add(c);
                    }
                }
            }
        }
        assertTrue(enums.contains(HugePages.class) && enums.size() > 5, enums.toString());
        for (Class<?> e : enums) {
            List<String> annotated = new ArrayList<>();
            for (Object constant : e.getEnumConstants()) {
                String name = ((Enum<?>) constant).name();
                JsonProperty p = e.getField(name).getAnnotation(JsonProperty.class);
                annotated.add(p != null && !p.value().isEmpty() ? p.value() : name);
            }
            assertEquals(annotated, JsonErrors.enumNames(e), e.getName());
        }
    }
}
