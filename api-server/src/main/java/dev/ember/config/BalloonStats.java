package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;

/**
 * GET {@code /balloon/statistics}: what the balloon device last reported. A statistic the guest
 * never sent is left out, as Firecracker leaves it out: a guest kernel that predates a tag (the
 * last six, OOM kills to direct reclaims, are the newest) shows fewer fields.
 */
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
        @JsonProperty("hugetlb_failures") Long hugetlbFailures,
        @JsonProperty("oom_kill") Long oomKill,
        @JsonProperty("alloc_stall") Long allocStall,
        @JsonProperty("async_scan") Long asyncScan,
        @JsonProperty("direct_scan") Long directScan,
        @JsonProperty("async_reclaim") Long asyncReclaim,
        @JsonProperty("direct_reclaim") Long directReclaim) implements StrictWriter.Writable {
    @Override
    public void write(JsonGenerator out) throws IOException {
        out.writeStartObject();
        out.writeNumberField("target_pages", targetPages);
        out.writeNumberField("actual_pages", actualPages);
        out.writeNumberField("target_mib", targetMib);
        out.writeNumberField("actual_mib", actualMib);
        StrictWriter.number(out, "swap_in", swapIn);
        StrictWriter.number(out, "swap_out", swapOut);
        StrictWriter.number(out, "major_faults", majorFaults);
        StrictWriter.number(out, "minor_faults", minorFaults);
        StrictWriter.number(out, "free_memory", freeMemory);
        StrictWriter.number(out, "total_memory", totalMemory);
        StrictWriter.number(out, "available_memory", availableMemory);
        StrictWriter.number(out, "disk_caches", diskCaches);
        StrictWriter.number(out, "hugetlb_allocations", hugetlbAllocations);
        StrictWriter.number(out, "hugetlb_failures", hugetlbFailures);
        StrictWriter.number(out, "oom_kill", oomKill);
        StrictWriter.number(out, "alloc_stall", allocStall);
        StrictWriter.number(out, "async_scan", asyncScan);
        StrictWriter.number(out, "direct_scan", directScan);
        StrictWriter.number(out, "async_reclaim", asyncReclaim);
        StrictWriter.number(out, "direct_reclaim", directReclaim);
        out.writeEndObject();
    }

}
