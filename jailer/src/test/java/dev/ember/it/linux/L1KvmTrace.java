package dev.ember.it.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.stream.Stream;

/**
 * Evidence for issue 10's L2 triple fault, which loops do not reproduce and CI's loaded tier does
 * (a few boots in a hundred): L1's kvm tracepoints record every L2 exit and injected exception in
 * a small ring buffer, and a trigger stops the buffer at the first shutdown exit (SVM exit code
 * 0x7f), so what is left there is the last exits of the vCPU that faulted, with the guest RIP of
 * each. The runner keeps its tail beside the hang reports when a test fails with a triple fault.
 *
 * <p>Only inside L1 ({@code EMBER_NESTED=1}) and only where kvm's tracepoints exist; anything
 * refused leaves the tier running without the trace (the reason is printed once).
 */
final class L1KvmTrace {
    private static final Path TRACING = Path.of("/sys/kernel/tracing");
    private static final int SVM_EXIT_SHUTDOWN = 0x7f;
    /** Per CPU: about 15,000 exits each, a few seconds of a booting L2 under nested TCG. */
    private static final int BUFFER_KB = 1024;
    private static final int KEPT_LINES = 6000;
    private static final String[] EVENTS = {"kvm_exit", "kvm_inj_exception", "kvm_apic_ipi", "kvm_cr"};

    private final boolean armed;

    private L1KvmTrace(boolean armed) {
        this.armed = armed;
    }

    static L1KvmTrace start() {
        if (!"1".equals(System.getenv("EMBER_NESTED"))) {
            return new L1KvmTrace(false);
        }
        try {
            if (!Files.exists(TRACING.resolve("trace"))) {
                Process mount = new ProcessBuilder("mount", "-t", "tracefs", "nodev", TRACING.toString()).inheritIO().start();
                if (mount.waitFor() != 0) {
                    throw new IOException("mount -t tracefs failed");
                }
            }
            write("tracing_on", "0");
            write("buffer_size_kb", Integer.toString(BUFFER_KB));
            for (String e : EVENTS) {
                write("events/kvm/" + e + "/enable", "1");
            }
            write("events/kvm/kvm_exit/trigger", "traceoff if exit_reason == " + SVM_EXIT_SHUTDOWN);
            write("trace", "");
            write("tracing_on", "1");
            System.out.println("nested-runner: L1 kvm trace on (" + String.join(", ", EVENTS) + "; stops at the first shutdown exit)");
            return new L1KvmTrace(true);
        } catch (IOException | RuntimeException e) {
            System.out.println("nested-runner: no L1 kvm trace for triple faults: " + e.getMessage());
            return new L1KvmTrace(false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new L1KvmTrace(false);
        }
    }

    /**
     * Keeps the buffer's last lines in {@code dir} when the trigger stopped it (an L2 shut down
     * since it was last armed), then clears and re-arms it; returns the file, or null when there
     * was nothing to keep.
     */
    Path keep(Path dir, String name) {
        if (!armed || !stopped()) {
            return null;
        }
        try {
            Files.createDirectories(dir);
            Path file = dir.resolve(name.replaceAll("[^A-Za-z0-9._-]", "_") + ".l1-kvm-trace.txt");
            Deque<String> tail = new ArrayDeque<>(KEPT_LINES);
            try (Stream<String> lines = Files.lines(TRACING.resolve("trace"), StandardCharsets.UTF_8)) {
                lines.forEach(l -> {
                    if (tail.size() == KEPT_LINES) {
                        tail.removeFirst();
                    }
                    tail.addLast(l);
                });
            }
            String note = L1Symbols.note(List.copyOf(tail), Path.of("/proc/kallsyms"));
            if (note != null) {
                tail.addLast(note);
                System.out.println("nested-runner: " + note);
            }
            Files.write(file, tail, StandardCharsets.UTF_8);
            return file;
        } catch (IOException | java.io.UncheckedIOException e) {
            System.out.println("nested-runner: cannot keep the L1 kvm trace: " + e.getMessage());
            return null;
        } finally {
            rearm();
        }
    }

    /**
     * Stops the buffer and keeps its last lines in {@code dir}, then clears and re-arms it: for an
     * L2 that stopped making progress with its VMM alive, the exits (or their absence) of its
     * vCPUs while it stalled say whether L1's KVM kept re-entering the guest at one RIP, kept
     * handling one exit, or never got control back from the emulated VMRUN.
     */
    Path keepNow(Path dir, String name) {
        if (!armed) {
            return null;
        }
        try {
            write("tracing_on", "0");
        } catch (IOException e) {
            System.out.println("nested-runner: cannot stop the L1 kvm trace: " + e.getMessage());
            return null;
        }
        return keep(dir, name);
    }

    /** Before each test: a shutdown a test caused on purpose must not leave the trace off for the rest. */
    void rearmIfStopped() {
        if (armed && stopped()) {
            rearm();
        }
    }

    private boolean stopped() {
        try {
            return Files.readString(TRACING.resolve("tracing_on")).trim().equals("0");
        } catch (IOException e) {
            return false;
        }
    }

    private void rearm() {
        try {
            write("trace", "");
            write("tracing_on", "1");
        } catch (IOException e) {
            System.out.println("nested-runner: cannot re-arm the L1 kvm trace: " + e.getMessage());
        }
    }

    private static void write(String file, String value) throws IOException {
        Files.writeString(TRACING.resolve(file), value + "\n");
    }
}
