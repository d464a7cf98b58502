package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/** GET {@code /balloon/statistics}: what the balloon device last reported. */
public record BalloonStats(
        @JsonProperty("target_pages") long targetPages,
        @JsonProperty("actual_pages") long actualPages,
        @JsonProperty("target_mib") long targetMib,
        @JsonProperty("actual_mib") long actualMib,
        @JsonProperty("swap_in") Long swapIn,
        @JsonProperty("swap_out") Long swapOut,
        @JsonProperty("major_faults") Long majorFaults,
        @JsonProperty("minor_faults") Long minorFaults,
        @JsonProperty("free_memory") Long freeMemory,
        @JsonProperty("total_memory") Long totalMemory,
        @JsonProperty("available_memory") Long availableMemory,
        @JsonProperty("disk_caches") Long diskCaches,
        @JsonProperty("hugetlb_allocations") Long hugetlbAllocations,
        @JsonProperty("hugetlb_failures") Long hugetlbFailures) {
}
