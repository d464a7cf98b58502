package dev.ember.devices.legacy;

import java.lang.management.ManagementFactory;

/** CPU time consumed by this process, user plus system. */
final class ProcessCpu {
    private ProcessCpu() {}

    static long nanos() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean) {
            return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
        }
        return 0;
    }
}
