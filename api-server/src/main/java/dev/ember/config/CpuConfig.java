package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * {@code cpu-config}: a custom CPU template (KVM capabilities, CPUID and MSR modifiers).
 * The aarch64-only fields are accepted by the parser and rejected by validation on x86_64.
 */
public record CpuConfig(
        @JsonProperty("kvm_capabilities") List<String> kvmCapabilities,
        @JsonProperty("cpuid_modifiers") List<CpuidLeafModifier> cpuidModifiers,
        @JsonProperty("msr_modifiers") List<MsrModifier> msrModifiers,
        @JsonProperty("reg_modifiers") List<ArmRegisterModifier> regModifiers,
        @JsonProperty("vcpu_features") List<VcpuFeatures> vcpuFeatures) {

    /** Capability numbers are u32, as KVM_CHECK_EXTENSION's argument in Firecracker. */
    private static final long MAX_U32 = 0xFFFF_FFFFL;

    public record CpuidLeafModifier(
            @JsonProperty("leaf") String leaf,
            @JsonProperty("subleaf") String subleaf,
            @JsonProperty("flags") Long flags,
            @JsonProperty("modifiers") List<CpuidRegisterModifier> modifiers) {}

    public enum CpuidRegister { eax, ebx, ecx, edx }

    public record CpuidRegisterModifier(
            @JsonProperty("register") CpuidRegister register,
            @JsonProperty("bitmap") String bitmap) {}

    public record MsrModifier(
            @JsonProperty("addr") String addr,
            @JsonProperty("bitmap") String bitmap) {}

    public record ArmRegisterModifier(
            @JsonProperty("addr") String addr,
            @JsonProperty("bitmap") String bitmap) {}

    public record VcpuFeatures(
            @JsonProperty("index") Long index,
            @JsonProperty("bitmap") String bitmap) {}

    void validate() throws ConfigException {
        if (regModifiers != null && !regModifiers.isEmpty()) {
            throw new ConfigException(ConfigException.Reason.UNSUPPORTED, "cpu-config.reg_modifiers are for aarch64 hosts; this host is x86_64, remove them");
        }
        if (vcpuFeatures != null && !vcpuFeatures.isEmpty()) {
            throw new ConfigException(ConfigException.Reason.UNSUPPORTED, "cpu-config.vcpu_features are for aarch64 hosts; this host is x86_64, remove them");
        }
        if (kvmCapabilities != null) {
            for (int i = 0; i < kvmCapabilities.size(); i++) {
                capability(kvmCapabilities.get(i), "cpu-config.kvm_capabilities[" + i + "]");
            }
        }
        if (cpuidModifiers != null) {
            for (int i = 0; i < cpuidModifiers.size(); i++) {
                CpuidLeafModifier m = cpuidModifiers.get(i);
                String where = "cpu-config.cpuid_modifiers[" + i + "]";
                Check.required(m, where);
                parseNumber(m.leaf, 32, where + ".leaf");
                parseNumber(m.subleaf, 32, where + ".subleaf");
                Check.required(m.flags, where + ".flags");
                Check.range(m.flags, 0, MAX_U32, where + ".flags");
                Check.required(m.modifiers, where + ".modifiers");
                for (int j = 0; j < m.modifiers.size(); j++) {
                    CpuidRegisterModifier r = m.modifiers.get(j);
                    String rw = where + ".modifiers[" + j + "]";
                    Check.required(r, rw);
                    Check.required(r.register, rw + ".register");
                    bitmap(r.bitmap, 32, rw + ".bitmap");
                }
            }
        }
        if (msrModifiers != null) {
            for (int i = 0; i < msrModifiers.size(); i++) {
                MsrModifier m = msrModifiers.get(i);
                String where = "cpu-config.msr_modifiers[" + i + "]";
                Check.required(m, where);
                parseNumber(m.addr, 32, where + ".addr");
                bitmap(m.bitmap, 64, where + ".bitmap");
            }
        }
    }

    /** A kvm_capabilities entry: "N" requires capability N, "!N" ({@code removed}) drops N from those checked. */
    public record Capability(long number, boolean removed) {}

    public static Capability capability(String s, String field) throws ConfigException {
        boolean removed = s != null && s.startsWith("!");
        String digits = removed ? s.substring(1) : s;
        if (digits == null || digits.isEmpty() || digits.length() > 10 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')
                || Long.parseLong(digits) > MAX_U32) {
            throw new ConfigException(ConfigException.Reason.INVALID_VALUE, field + " is " + (s == null ? "null" : "\"" + s + "\"")
                    + "; use a KVM capability number (KVM_CAP_*) such as \"121\" to require it, or \"!121\" to stop checking it");
        }
        return new Capability(Long.parseLong(digits), removed);
    }

    /**
     * A leaf, subleaf or MSR address: "0x" then hex digits or "0b" then binary digits, as
     * Firecracker's templates take them (a number without either prefix is refused there too).
     */
    public static long parseNumber(String s, int bits, String field) throws ConfigException {
        Check.nonEmpty(s, field);
        try {
            long v;
            if (s.startsWith("0x")) {
                v = Long.parseUnsignedLong(s.substring(2), 16);
            } else if (s.startsWith("0b")) {
                v = Long.parseUnsignedLong(s.substring(2), 2);
            } else {
                throw new NumberFormatException();
            }
            if (bits < 64 && Long.compareUnsigned(v, (1L << bits) - 1) > 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new ConfigException(ConfigException.Reason.INVALID_VALUE, field + " is \"" + s + "\"; use a " + bits
                    + "-bit number with its base prefix: hex as \"0x10a\" or binary as \"0b1\"");
        }
    }

    /** A bitmap decoded: the bits it sets ({@code filter}) and their values. */
    public record Bits(long filter, long value) {}

    /**
     * Decodes a register bitmap as Firecracker does: an optional "0b", then one of 0, 1 or x
     * (leave the bit alone) per bit, the last character being bit 0; "_" separates groups and
     * counts for nothing; fewer characters than the register has bits leave the high bits alone.
     */
    public static Bits bitmap(String s, int bits, String field) throws ConfigException {
        Check.nonEmpty(s, field);
        String body = s.startsWith("0b") ? s.substring(2) : s;
        long filter = 0, value = 0;
        int bit = 0;
        for (int i = body.length() - 1; i >= 0; i--) {
            char c = body.charAt(i);
            if (c == '_') {
                continue;
            }
            if (bit == bits || (c != '0' && c != '1' && c != 'x')) {
                throw new ConfigException(ConfigException.Reason.INVALID_VALUE, field + " is \"" + s + "\"; use \"0b\" followed by at most "
                        + bits + " characters 0, 1 or x (x leaves the bit as it is), the last one for bit 0"
                        + (bit == bits ? " (this one has more)" : " (found '" + c + "')"));
            }
            if (c != 'x') {
                filter |= 1L << bit;
                value |= (c == '1' ? 1L : 0L) << bit;
            }
            bit++;
        }
        return new Bits(filter, value);
    }
}
