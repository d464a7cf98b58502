package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/** {@code machine-config.huge_pages}: how guest memory is backed. */
public enum HugePages {
    None,
    Transparent,
    @JsonProperty("2M") Hugetlbfs2M
}
