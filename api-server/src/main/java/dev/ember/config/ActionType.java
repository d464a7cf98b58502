package dev.ember.config;

/** PUT {@code /actions} {@code action_type}. */
public enum ActionType { FlushMetrics, InstanceStart, SendCtrlAltDel }
