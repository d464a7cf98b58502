package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.regex.Pattern;

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

    private static final Pattern CAPABILITY = Pattern.compile("!?\\d+");
    private static final Pattern BITMAP_BITS = Pattern.compile("[01x]+");

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
                String cap = kvmCapabilities.get(i);
                if (cap == null || !CAPABILITY.matcher(cap).matches()) {
                    throw new ConfigException(ConfigException.Reason.INVALID_VALUE, "cpu-config.kvm_capabilities[" + i + "] is \"" + cap
                            + "\"; use a capability number such as \"121\", or \"!121\" to remove it");
                }
            }
        }
        if (cpuidModifiers != null) {
            for (int i = 0; i < cpuidModifiers.size(); i++) {
                CpuidLeafModifier m = cpuidModifiers.get(i);
                String where = "cpu-config.cpuid_modifiers[" + i + "]";
                Check.required(m, where);
                parseNumber(m.leaf, 32, where + ".leaf");
                parseNumber(m.subleaf, 32, where + ".subleaf");
                Check.range(m.flags, 0, 0xFFFF_FFFFL, where + ".flags");
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

    /** Parses "0x..", "0b.." or decimal, as Firecracker's templates do. */
    static long parseNumber(String s, int bits, String field) throws ConfigException {
        Check.nonEmpty(s, field);
        String digits = s.replace("_", "");
        try {
            long v;
            if (digits.startsWith("0x") || digits.startsWith("0X")) {
                v = Long.parseUnsignedLong(digits.substring(2), 16);
            } else if (digits.startsWith("0b") || digits.startsWith("0B")) {
                v = Long.parseUnsignedLong(digits.substring(2), 2);
            } else {
                v = Long.parseUnsignedLong(digits);
            }
            if (bits < 64 && Long.compareUnsigned(v, (1L << bits) - 1) > 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new ConfigException(ConfigException.Reason.INVALID_VALUE, field + " is \"" + s + "\"; use a " + bits
                    + "-bit number written as hex (0x10a), binary (0b1) or decimal (266)");
        }
    }

    private static void bitmap(String s, int bits, String field) throws ConfigException {
        Check.nonEmpty(s, field);
        String body = s.startsWith("0b") ? s.substring(2).replace("_", "") : null;
        if (body == null || body.length() != bits || !BITMAP_BITS.matcher(body).matches()) {
            throw new ConfigException(ConfigException.Reason.INVALID_VALUE, field + " is \"" + s + "\"; use \"0b\" followed by " + bits
                    + " characters of 0, 1 or x (x leaves the bit unchanged)");
        }
    }
}
