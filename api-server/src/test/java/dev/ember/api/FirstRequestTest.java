package dev.ember.api;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;

import org.junit.jupiter.api.Test;

class FirstRequestTest {
    /** A name that no longer exists (a library upgrade renamed it) would quietly stop being initialised ahead. */
    @Test
    void everyClassNamedExists() {
        ClassLoader loader = FirstRequest.class.getClassLoader();
        for (String name : FirstRequest.CLASSES) {
            assertDoesNotThrow(() -> Class.forName(name, false, loader), name);
        }
    }

    @Test
    void initialisingThemThrowsNothing() {
        assertDoesNotThrow(FirstRequest::initialiseClasses);
    }
}
