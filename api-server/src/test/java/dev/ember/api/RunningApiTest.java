package dev.ember.api;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** Base of the tests that talk to a real API server ({@link TestApi}) in a fresh directory per test. */
abstract class RunningApiTest {
    @TempDir
    Path dir;
    TestApi api;
    UnixHttpClient http;

    @BeforeEach
    void startApi() throws Exception {
        api = new TestApi(dir);
        http = api.http;
    }

    @AfterEach
    void stopApi() {
        api.close();
    }
}
