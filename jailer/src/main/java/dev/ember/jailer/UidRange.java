package dev.ember.jailer;

/**
 * {@code --uid-range FIRST-LAST}: where a VM without {@code --uid}/{@code --gid} gets its own
 * uid (and the gid of the same number). The default is the first 65536 ids of the span systemd
 * leaves unused (from 0x70000000, above its container range and above the ranges
 * {@code /etc/subuid} hands out by default), so no login user, system service, user-namespace
 * container or other VM shares the VMM's identity.
 */
public record UidRange(long first, long last) {
    /** 0x70000000 to 0x7000ffff. */
    public static final String DEFAULT_SPEC = "1879048192-1879113727";
    public static final UidRange DEFAULT = parse(DEFAULT_SPEC);
    /** Ids at and above 2^31 break software that keeps them signed; 0 is root. */
    private static final long HIGHEST = 0x7fffffffL - 1;

    public UidRange {
        if (first < 1 || last > HIGHEST || first > last) {
            throw JailerException.usage("--uid-range " + first + "-" + last + ": must be FIRST-LAST with 1 <= FIRST <= LAST <= " + HIGHEST);
        }
    }

    public static UidRange parse(String spec) {
        int dash = spec.indexOf('-');
        try {
            if (dash > 0) {
                return new UidRange(Long.parseLong(spec.substring(0, dash)), Long.parseLong(spec.substring(dash + 1)));
            }
        } catch (NumberFormatException e) {
            // the message below
        }
        throw JailerException.usage("--uid-range " + spec + ": expected FIRST-LAST, e.g. " + DEFAULT);
    }

    public long size() {
        return last - first + 1;
    }

    @Override
    public String toString() {
        return first + "-" + last;
    }
}
