package dev.ember.uffd;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One guest memory region as the VMM describes it to the page-fault handler: Firecracker's
 * {@code GuestRegionUffdMapping}, the JSON array sent with the userfaultfd. The region's pages
 * live at {@code base_host_virt_addr} in the VMM and at {@code offset} in the memory file.
 * {@code page_size} is in bytes; {@code page_size_kib} carries the same value in bytes too
 * (Firecracker's first name for the field, kept for handlers written against it).
 */
@JsonPropertyOrder({"base_host_virt_addr", "size", "offset", "page_size", "page_size_kib"})
public record UffdMapping(
        @JsonProperty("base_host_virt_addr") long baseHostVirtAddr,
        @JsonProperty("size") long size,
        @JsonProperty("offset") long offset,
        @JsonProperty("page_size") long pageSize,
        @JsonProperty("page_size_kib") long pageSizeKib) {

    /** What the VMM's single message may hold, and what a handler reads at most. */
    public static final int MAX_MESSAGE_BYTES = 16 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    public UffdMapping(long baseHostVirtAddr, long size, long offset, long pageSize) {
        this(baseHostVirtAddr, size, offset, pageSize, pageSize);
    }

    public boolean contains(long address) {
        return address >= baseHostVirtAddr && address - baseHostVirtAddr < size;
    }

    public static byte[] toJson(List<UffdMapping> mappings) {
        try {
            return JSON.writeValueAsBytes(mappings);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The handler's side: the regions in {@code json}. Accepts the older form with only
     * {@code page_size_kib}; ignores fields it does not know (later VMMs may add some).
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static List<UffdMapping> parse(byte[] json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the mappings are not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException("the mappings cannot be read: " + e.getMessage());
        }
        if (root == null || !root.isArray() || root.isEmpty()) {
            throw new IllegalArgumentException("the mappings must be a non-empty JSON array of regions");
        }
        List<UffdMapping> out = new ArrayList<>();
        for (int i = 0; i < root.size(); i++) {
            JsonNode r = root.get(i);
            long pageSize = r.has("page_size") ? number(r, i, "page_size") : number(r, i, "page_size_kib");
            UffdMapping m = new UffdMapping(number(r, i, "base_host_virt_addr"), number(r, i, "size"), number(r, i, "offset"),
                    pageSize);
            if (pageSize < 4096 || Long.bitCount(pageSize) != 1) {
                throw new IllegalArgumentException("region " + i + ": page_size " + pageSize + " is not a power of two of at least 4096");
            }
            if (m.size <= 0 || ((m.baseHostVirtAddr | m.size | m.offset) & (pageSize - 1)) != 0) {
                throw new IllegalArgumentException("region " + i + ": base_host_virt_addr, size and offset must be multiples of"
                        + " page_size " + pageSize + " and size positive: " + m);
            }
            out.add(m);
        }
        return out;
    }

    private static long number(JsonNode region, int i, String field) {
        JsonNode n = region == null ? null : region.get(field);
        if (n == null || !n.canConvertToExactIntegral() || !n.canConvertToLong() || n.asLong() < 0) {
            throw new IllegalArgumentException("region " + i + ": " + field + " must be a non-negative integer");
        }
        return n.asLong();
    }
}
