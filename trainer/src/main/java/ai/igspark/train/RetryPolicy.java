package ai.igspark.train;

import ai.igspark.config.RunConfig;

/**
 * What the driver does when a segment fails (docs/ARCHITECTURE.md §4.1 "Failures"): retry it from
 * the last committed checkpoint after an exponential backoff, and give up after {@code
 * cluster.max_retries} failures in a row. A committed segment resets the count.
 */
final class RetryPolicy {
  private final int maxRetries;
  private final double firstBackoffSeconds;
  private final double maxBackoffSeconds;
  private int failuresInARow;
  private int retries;

  RetryPolicy(int maxRetries, double firstBackoffSeconds, double maxBackoffSeconds) {
    this.maxRetries = maxRetries;
    this.firstBackoffSeconds = firstBackoffSeconds;
    this.maxBackoffSeconds = maxBackoffSeconds;
  }

  static RetryPolicy of(RunConfig.Cluster cluster) {
    return new RetryPolicy(
        cluster.maxRetries(), cluster.backoffSeconds(), cluster.maxBackoffSeconds());
  }

  /**
   * Counts a failure of {@code segment}; returns the seconds to wait before retrying it.
   *
   * @throws TrainDriver.TrainingFailedException after more than max_retries failures in a row,
   *     saying where the last committed checkpoint is and how to resume
   */
  double afterFailure(SegmentPlan segment, String runDir, Throwable cause) {
    failuresInARow++;
    retries++;
    if (failuresInARow > maxRetries && StorageFailure.is(cause)) {
      throw new TrainDriver.TrainingFailedException(
          String.format(
              "segment %d (steps %d-%d) failed %d times in a row on a full or failing file"
                  + " system; giving up. %s. The last committed checkpoint is step %d in %s. %s",
              segment.index(), segment.from(), segment.to(), failuresInARow,
              StorageFailure.describe(cause), segment.from(), runDir,
              StorageFailure.advice(runDir)),
          cause);
    }
    if (failuresInARow > maxRetries) {
      throw new TrainDriver.TrainingFailedException(
          String.format(
              "segment %d (steps %d-%d) failed %d times in a row; giving up. The last"
                  + " committed checkpoint is step %d in %s. Fix the cause and run the same"
                  + " command again to resume from there. Last error: %s",
              segment.index(), segment.from(), segment.to(), failuresInARow, segment.from(),
              runDir, TrainDriver.rootMessage(cause)),
          cause);
    }
    return backoffSeconds(failuresInARow);
  }

  /** A segment committed: the next failure is the first in a row again. */
  void afterSuccess() {
    failuresInARow = 0;
  }

  /** Failures so far (each one was retried, or ended the run). */
  int retries() {
    return retries;
  }

  int failuresInARow() {
    return failuresInARow;
  }

  int maxRetries() {
    return maxRetries;
  }

  /** The wait before the n-th retry in a row: min(max_backoff, backoff · 2^(n−1)) seconds. */
  double backoffSeconds(int n) {
    return Math.min(maxBackoffSeconds, firstBackoffSeconds * Math.pow(2, n - 1));
  }
}
