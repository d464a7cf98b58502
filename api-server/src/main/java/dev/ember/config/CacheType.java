package dev.ember.config;

/** {@code drives.cache_type}: Unsafe ignores guest flushes, Writeback honours them. */
public enum CacheType { Unsafe, Writeback }
