package ai.igspark.metrics;

/**
 * A failed segment that will be retried (kind {@code retry}).
 *
 * @param step the committed step the retry resumes from
 * @param segment the failed segment's index
 * @param attempt the failed attempt
 * @param error the root cause, {@code SimpleClassName: message}
 * @param backoffSeconds the wait before the retry
 * @param time ISO-8601 UTC
 */
public record RetryRecord(
    long step, long segment, String attempt, String error, double backoffSeconds, String time)
    implements MetricsRecord {}
