package dev.ember.config;

/** Firecracker's static CPU templates ({@code machine-config.cpu_template}). */
public enum CpuTemplate { C3, T2, T2S, T2CL, T2A, V1N1, None }
