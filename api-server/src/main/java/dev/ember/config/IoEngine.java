package dev.ember.config;

/** {@code drives.io_engine}: synchronous pread/pwrite or io_uring. */
public enum IoEngine { Sync, Async }
