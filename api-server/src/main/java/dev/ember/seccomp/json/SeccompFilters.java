package dev.ember.seccomp.json;

import dev.ember.seccomp.BpfFilterFile;
import dev.ember.seccomp.BpfProgram;
import dev.ember.seccomp.SeccompFilter;
import dev.ember.seccomp.SeccompFilterException;
import dev.ember.seccomp.ThreadFilters;
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
import java.util.Map;

/**
 * The VMM's entry points for seccomp: the built-in filters, compiled from {@code default.json}
 * (derived from traces of real runs; see docs/seccomp.md) into {@code default.bpf} by the build, or
 * a file given with {@code --seccomp-filter} (JSON, compiled at launch, or a file compiled before
 * by {@link SeccompCompiler}). The built-in path reads the compiled file only: no JSON parser and
 * no compiler run at start. Call once, after start-up work that the filters do not allow and
 * before untrusted input (API requests, guest code) is processed.
 */
public final class SeccompFilters {
    /** The JSON the build compiles; kept in the jar as the readable form of what is installed. */
    public static final String DEFAULT_RESOURCE = "default.json";
    /** What the build compiled from {@link #DEFAULT_RESOURCE} ({@link BpfFilterFile}). */
    public static final String COMPILED_RESOURCE = "default.bpf";
    /** The filter installed on every thread (Firecracker's category for its main thread). */
    public static final String VMM = "vmm";

    private SeccompFilters() {}

    /** The built-in filters as the JSON states them, by thread category (tests and docs). */
    public static Map<String, SeccompFilter> loadDefaultSource() {
        try (InputStream in = SeccompFilters.class.getResourceAsStream(DEFAULT_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource dev/ember/seccomp/json/" + DEFAULT_RESOURCE + " is missing from the build");
            }
            return SeccompJson.parseFilters("built-in seccomp filter", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The built-in filter for the whole process as the JSON states it. */
    public static SeccompFilter loadDefault() {
        return loadDefaultSource().get(VMM);
    }

    /** The built-in filters as the build compiled them. */
    public static Map<String, BpfProgram> compiledDefault() {
        try (InputStream in = SeccompFilters.class.getResourceAsStream(COMPILED_RESOURCE)) {
            if (in == null) {
                throw new SeccompFilterException("resource dev/ember/seccomp/json/" + COMPILED_RESOURCE
                        + " is missing: the build compiles it from " + DEFAULT_RESOURCE + " (mvn process-classes)");
            }
            return BpfFilterFile.read("built-in " + COMPILED_RESOURCE, in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads a JSON filter file; errors name the file and what is wrong in it. */
    public static Map<String, SeccompFilter> load(Path file) {
        return SeccompJson.parseFilters(file.toString(), new String(read(file), StandardCharsets.UTF_8));
    }

    /** A filter file given with --seccomp-filter: compiled by {@link SeccompCompiler}, or JSON compiled now. */
    public static Map<String, BpfProgram> compiled(Path file) {
        byte[] bytes = read(file);
        if (BpfFilterFile.isCompiled(bytes)) {
            return BpfFilterFile.read(file.toString(), new java.io.ByteArrayInputStream(bytes));
        }
        return SeccompCompiler.compileAll(SeccompJson.parseFilters(file.toString(), new String(bytes, StandardCharsets.UTF_8)));
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new SeccompFilterException("--seccomp-filter " + file + ": no such file");
        } catch (IOException e) {
            throw new SeccompFilterException("--seccomp-filter " + file + ": cannot read it: " + e.getMessage(), e);
        }
    }

    /** Installs the built-in filters. */
    public static BpfProgram installDefault() {
        return install(compiledDefault());
    }

    /** Installs the filters in {@code file}. */
    public static BpfProgram install(Path file) {
        return install(compiled(file));
    }

    /** Installs {@code programs}, read or compiled before ({@link #compiledDefault()}, {@link #compiled(Path)}). */
    public static BpfProgram install(Map<String, BpfProgram> programs) {
        prepareJdk();
        return ThreadFilters.install(programs);
    }

    /**
     * Runs the JDK's one-time probes that would otherwise happen after the filter is on: the
     * socket classes test IPv6 and TCP_QUICKACK support with AF_INET/AF_INET6 sockets when first
     * initialised (the built-in filter allows Unix sockets only), which the first API connection
     * accepted would trigger.
     */
    public static void prepareJdk() {
        try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
             SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            s.supportedOptions();
            c.supportedOptions();
        } catch (IOException e) {
            throw new UncheckedIOException("preparing the JDK's socket classes before seccomp", e);
        }
    }
}
