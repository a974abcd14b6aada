package ai.igspark.metrics;

/**
 * What a rank of {@code igspark cluster-check} streams to the driver (kind {@code probe}). Never
 * written to metrics.jsonl.
 *
 * @param rank the rank
 * @param engineMillis how long the DJL engine took to start on it
 */
public record ProbeRecord(int rank, long engineMillis) implements MetricsRecord {}
