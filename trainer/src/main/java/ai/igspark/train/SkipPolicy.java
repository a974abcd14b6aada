package ai.igspark.train;

/**
 * Steps with a non-finite loss or gradient: their update is skipped and counted, and more than
 * {@code train.max_consecutive_skips} of them in a row stop the segment as diverged (the driver
 * then stops the run instead of retrying it).
 */
final class SkipPolicy {
  private final int maxConsecutive;
  private long skipped;
  private int consecutive;

  SkipPolicy(int maxConsecutive) {
    this.maxConsecutive = maxConsecutive;
  }

  /** Records whether a step's update was applied; true when training has diverged. */
  boolean diverged(boolean applied) {
    if (applied) {
      consecutive = 0;
      return false;
    }
    skipped++;
    consecutive++;
    return consecutive > maxConsecutive;
  }

  /** Steps skipped so far in this segment. */
  long skipped() {
    return skipped;
  }
}
