package dev.ember.it.linux;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Names L1's own kernel symbol at a stalled L2's last exit RIP that lies where the L2 kernel maps
 * nothing. The microVM kernel has no modules, so an L2 RIP in the module area is not
 * L2 code. Two stalls in one L1 (clean-clone CI of 3e5d294) looped on an NPF at the same such RIP,
 * walking page tables from a CR3 beyond the guest's 128 MiB, as if the emulated CPU had entered the
 * guest with L1's own RIP and CR3; L1's symbol there says whose code it is.
 */
final class L1Symbols {
    /** Where x86-64 Linux puts modules (4-level paging): nothing of the L2 kernel is mapped there. */
    static final long MODULE_AREA = 0xffffffffc0000000L;
    private static final Pattern EXIT_RIP = Pattern.compile("kvm_exit: .* rip 0x([0-9a-f]+)");

    private L1Symbols() {
    }

    /**
     * The RIP of the last {@code kvm_exit} line whose RIP is in the module area, or 0 when there is
     * none: of any vCPU, since another vCPU may exit after the looping one (the final CI of session
     * 10 had vCPU 1 exit last, at an ordinary L2 RIP, and the note named nothing).
     */
    static long lastModuleAreaExitRip(Iterable<String> traceLines) {
        long rip = 0;
        for (String line : traceLines) {
            Matcher m = EXIT_RIP.matcher(line);
            if (m.find()) {
                long r = Long.parseUnsignedLong(m.group(1), 16);
                if (Long.compareUnsigned(r, MODULE_AREA) >= 0) {
                    rip = r;
                }
            }
        }
        return rip;
    }

    /**
     * The nearest symbol at or below {@code address} in /proc/kallsyms-format lines, as
     * {@code name+0xoff [module]}, or null when none is.
     */
    static String symbolAt(long address, Iterator<String> kallsyms) {
        long best = 0;
        String name = null;
        while (kallsyms.hasNext()) {
            String[] f = kallsyms.next().split("\\s+");
            if (f.length < 3) {
                continue;
            }
            long a = Long.parseUnsignedLong(f[0], 16);
            if (a != 0 && Long.compareUnsigned(a, address) <= 0 && Long.compareUnsigned(a, best) > 0) {
                best = a;
                name = f[2] + (f.length > 3 ? " " + f[3] : "");
            }
        }
        if (name == null) {
            return null;
        }
        int space = name.indexOf(' ');
        String offset = "+0x" + Long.toHexString(address - best);
        return space < 0 ? name + offset : name.substring(0, space) + offset + name.substring(space);
    }

    /**
     * A line for the kept trace when an exit's RIP is in the module area, naming L1's symbol at the
     * last such RIP (read from L1's /proc/kallsyms); null otherwise.
     */
    static String note(List<String> traceLines, Path kallsyms) {
        long rip = lastModuleAreaExitRip(traceLines);
        if (rip == 0) {
            return null;
        }
        String symbol;
        try (Stream<String> lines = Files.lines(kallsyms, StandardCharsets.UTF_8)) {
            symbol = symbolAt(rip, lines.iterator());
        } catch (IOException | UncheckedIOException e) {
            symbol = "(L1's symbols unreadable: " + e.getMessage() + ")";
        }
        return "# the last exit in the module area, where the L2 kernel maps nothing, was at RIP 0x" + Long.toHexString(rip)
                + "; L1's own symbol there: " + (symbol == null ? "none" : symbol);
    }
}
