package dev.ember.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Machine configurations of every shape a writer must handle: each field null and set, every enum constant, unsigned sizes. */
public final class MachineConfigs {
    private MachineConfigs() {}

    public static List<MachineConfig> all() {
        List<MachineConfig> all = new ArrayList<>();
        List<Boolean> flags = Arrays.asList(null, true, false);
        List<CpuTemplate> templates = new ArrayList<>(Arrays.asList(CpuTemplate.values()));
        templates.add(null);
        List<HugePages> hugePages = new ArrayList<>(Arrays.asList(HugePages.values()));
        hugePages.add(null);
        for (Long vcpus : Arrays.asList(null, 1L, 32L, -1L)) {
            for (Long mib : Arrays.asList(null, 0L, 128L, -1L, Long.MAX_VALUE, Long.MIN_VALUE)) {
                for (Boolean smt : flags) {
                    for (Boolean dirty : flags) {
                        for (CpuTemplate template : templates) {
                            for (HugePages pages : hugePages) {
                                all.add(new MachineConfig(vcpus, mib, smt, dirty, template, pages));
                            }
                        }
                    }
                }
            }
        }
        return all;
    }
}
