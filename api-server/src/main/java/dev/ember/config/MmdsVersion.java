package dev.ember.config;

/** MMDS protocol: V1 (plain GET) or V2 (session tokens). */
public enum MmdsVersion { V1, V2 }
