package ai.igspark.metrics;

/**
 * A committed checkpoint that failed verification at resume and was moved aside, never deleted
 * (kind {@code checkpoint_broken}).
 *
 * @param step the checkpoint's step
 * @param reason what the check found (the first failing file and why)
 * @param movedTo where the checkpoint directory now is ({@code step-N.broken-<time>})
 * @param time ISO-8601 UTC
 */
public record CheckpointBrokenRecord(long step, String reason, String movedTo, String time)
    implements MetricsRecord {}
