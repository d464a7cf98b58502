package dev.ember.config;

/** PATCH {@code /balloon/hinting/stop}: no fields; an empty body or {@code {}}. */
public record BalloonHintingStop() {
}
