package dev.ember.api;

import dev.ember.app.VmmController;
import dev.ember.config.VmResources;
import dev.ember.logging.MetricsWriter;
import java.nio.file.Path;

/** A real API server on {@code dir/api.sock} in front of a {@link FakeVmm}, with a client for it. */
final class TestApi implements AutoCloseable {
    final FakeVmm vmm = new FakeVmm();
    final VmResources resources = new VmResources();
    final MetricsWriter metrics = new MetricsWriter();
    final Path socket;
    final ApiServer server;
    final UnixHttpClient http;

    TestApi(Path dir) throws ApiServerException {
        this(dir, ApiLimits.DEFAULT);
    }

    TestApi(Path dir, ApiLimits limits) throws ApiServerException {
        socket = dir.resolve("api.sock");
        server = ApiServer.start(socket, new VmmController("vm1", resources, vmm, metrics), 51200, limits);
        http = new UnixHttpClient(socket);
    }

    @Override
    public void close() {
        server.close();
        metrics.close();
    }
}
