package ai.igspark.train;

import ai.igspark.config.RunConfig;
import ai.igspark.data.ExponentialBackoff;

/**
 * What the driver does when a segment fails (docs/ARCHITECTURE.md §4.1 "Failures"): retry it from
 * the last committed checkpoint after an exponential backoff, and give up after {@code
 * cluster.max_retries} failures in a row. A committed segment resets the count.
 */
final class RetryPolicy {
  private final int maxRetries;
  private final ExponentialBackoff backoff;
  private int failuresInARow;
  private int retries;

  RetryPolicy(int maxRetries, double firstBackoffSeconds, double maxBackoffSeconds) {
    this.maxRetries = maxRetries;
    this.backoff = ExponentialBackoff.ofSeconds(firstBackoffSeconds, maxBackoffSeconds);
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
    // The same input fails the same way again: the user's error ends the run (exit 2).
    RemoteInputError.in(cause).ifPresent(e -> {
      throw e;
    });
    failuresInARow++;
    retries++;
    if (failuresInARow > maxRetries && StorageFailure.is(cause)) {
      throw new TrainDriver.TrainingFailedException(
          String.format(
              "segment %d (steps %d-%d) failed %d times in a row on a full or failing file"
                  + " system; giving up. %s. %s %s",
              segment.index(), segment.from(), segment.to(), failuresInARow,
              StorageFailure.describe(cause), lastCheckpoint(segment.from(), runDir),
              StorageFailure.advice(runDir)),
          cause);
    }
    if (failuresInARow > maxRetries) {
      throw new TrainDriver.TrainingFailedException(
          String.format(
              "segment %d (steps %d-%d) failed %d times in a row; giving up. %s Fix the cause"
                  + " and run the same command again to resume from there. Last error: %s",
              segment.index(), segment.from(), segment.to(), failuresInARow,
              lastCheckpoint(segment.from(), runDir), TrainDriver.rootMessage(cause)),
          cause);
    }
    return backoffSeconds(failuresInARow);
  }

  /** Where a resume would start: the checkpoint of {@code step}, or none yet at step 0. */
  static String lastCheckpoint(long step, String runDir) {
    return step == 0
        ? "There is no committed checkpoint yet in " + runDir + "."
        : "The last committed checkpoint is step " + step + " in " + runDir + ".";
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
    return backoff.before(n).toMillis() / 1000.0;
  }
}
