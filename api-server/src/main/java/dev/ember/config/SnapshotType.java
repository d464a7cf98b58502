package dev.ember.config;

/** Full snapshots copy all guest memory; Diff only the pages dirtied since the last one. */
public enum SnapshotType { Full, Diff }
