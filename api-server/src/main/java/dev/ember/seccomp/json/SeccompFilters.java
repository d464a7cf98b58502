package dev.ember.seccomp.json;

import dev.ember.seccomp.BpfProgram;
import dev.ember.seccomp.Seccomp;
import dev.ember.seccomp.SeccompFilter;
import dev.ember.seccomp.SeccompFilterException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The VMM's entry points for seccomp: the built-in filter (resource {@code default.json}, derived
 * from traces of real runs; see docs/seccomp.md) or one from a file ({@code --seccomp-filter}).
 * Both install process-wide with TSYNC, so call once, after start-up work that the filter does
 * not allow and before untrusted input (API requests, guest code) is processed.
 */
public final class SeccompFilters {
    public static final String DEFAULT_RESOURCE = "default.json";

    private SeccompFilters() {}

    public static SeccompFilter loadDefault() {
        try (InputStream in = SeccompFilters.class.getResourceAsStream(DEFAULT_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource dev/ember/seccomp/json/default.json is missing from the build");
            }
            return SeccompJson.parse("built-in seccomp filter", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads a filter file; errors name the file and what is wrong in it. */
    public static SeccompFilter load(Path file) {
        String json;
        try {
            json = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new SeccompFilterException("--seccomp-filter " + file + ": no such file");
        } catch (IOException e) {
            throw new SeccompFilterException("--seccomp-filter " + file + ": cannot read it: " + e.getMessage(), e);
        }
        return SeccompJson.parse(file.toString(), json);
    }

    /** Installs the built-in filter on every thread of this process. */
    public static BpfProgram installDefault() {
        SeccompFilter filter = loadDefault();
        prepareJdk();
        return Seccomp.install(filter);
    }

    /** Installs the filter in {@code file} on every thread of this process. */
    public static BpfProgram install(Path file) {
        SeccompFilter filter = load(file);
        prepareJdk();
        return Seccomp.install(filter);
    }

    /**
     * Runs the JDK's one-time probes that would otherwise happen after the filter is on: the
     * socket classes test IPv6 and TCP_QUICKACK support with AF_INET/AF_INET6 sockets when first
     * initialised (the built-in filter allows Unix sockets only), which the first API connection
     * accepted would trigger.
     */
    static void prepareJdk() {
        try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
             SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            s.supportedOptions();
            c.supportedOptions();
        } catch (IOException e) {
            throw new UncheckedIOException("preparing the JDK's socket classes before seccomp", e);
        }
    }
}
