package dev.ember.bench;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * A VMM process's memory with the guest's own RAM taken out: totals from smaps_rollup minus the
 * Rss/Pss of the guest-RAM mapping (found in smaps by its size). For QEMU under TCG the
 * translation cache (its anonymous RWX mapping) is reported too: it exists only because TCG
 * emulates the guest, so it would not be there with KVM.
 */
record MemSample(double rssKb, double pssKb, double guestRssKb, double guestPssKb, double tcgCacheRssKb,
                 Map<String, Long> pssByKindKb, boolean guestFound) {

    double vmmRssKb() {
        return rssKb - guestRssKb;
    }

    double vmmPssKb() {
        return pssKb - guestPssKb;
    }

    /** Samples {@code pid}, whose guest has {@code guestMib} MiB of RAM. */
    static MemSample of(long pid, int guestMib) throws IOException {
        Map<String, Long> roll = Smaps.rollup(pid);
        List<Smaps.Mapping> maps = Smaps.mappings(pid);
        // QEMU aligns RAM blocks; allow a few MiB over the configured size.
        Smaps.Mapping guest = Smaps.findGuestRam(maps, guestMib * 1024L, 4096);
        double tcg = 0;
        for (Smaps.Mapping m : maps) {
            if (m.anonymous() && m.perms().startsWith("rwx") && m != guest) {
                tcg += m.get("Rss");
            }
        }
        return new MemSample(roll.getOrDefault("Rss", 0L), roll.getOrDefault("Pss", 0L),
                guest == null ? 0 : guest.get("Rss"), guest == null ? 0 : guest.get("Pss"), tcg,
                Smaps.pssByKind(maps, guest), guest != null);
    }
}
