package ai.igspark.metrics;

/**
 * A committed segment (kind {@code segment}).
 *
 * @param step the committed step
 * @param segment the segment's index, step / checkpoint.every_steps
 * @param attempt the attempt directory that became the checkpoint
 * @param seconds from submitting the segment to its commit
 * @param startSeconds rank 0's time from task start to its first step
 * @param commitSeconds the driver's commit of the checkpoint
 * @param warmCache whether rank 0 started from its executor's warm cache
 * @param skippedSteps non-finite steps skipped in the segment
 * @param time ISO-8601 UTC
 */
public record SegmentRecord(
    long step,
    long segment,
    String attempt,
    double seconds,
    double startSeconds,
    double commitSeconds,
    boolean warmCache,
    long skippedSteps,
    String time)
    implements MetricsRecord {}
