package ai.igspark.ckpt;

import ai.igspark.config.RunConfig.KeepBest;
import java.time.Duration;
import java.util.Set;

/**
 * How a {@link CheckpointStore} commits and keeps checkpoints.
 *
 * @param retries extra tries of a commit after a transient {@link java.io.IOException}
 * @param backoff wait before the first retry; doubled for each further one, capped at 60 s
 * @param verifyOnCommit re-read every reported file and compare its SHA-256 (sizes are always
 *     compared); costs one full read of the checkpoint on the driver
 * @param verifyOnLoad {@link CheckpointStore#latest()} re-hashes every file of the checkpoint it
 *     returns (sizes are always compared)
 * @param keep committed checkpoints to keep, newest first (LATEST is always kept)
 * @param pins steps never removed by retention
 * @param keepBest also keep the checkpoint with the best evaluation by this metric ({@link
 *     BestCheckpoint}); null: none
 */
public record CommitPolicy(
    int retries,
    Duration backoff,
    boolean verifyOnCommit,
    boolean verifyOnLoad,
    int keep,
    Set<Long> pins,
    KeepBest keepBest) {
  public CommitPolicy {
    if (retries < 0 || keep < 1 || backoff.isNegative()) {
      throw new IllegalArgumentException(
          "retries ≥ 0, keep ≥ 1 and backoff ≥ 0 expected, got " + retries + ", " + keep + ", "
              + backoff);
    }
    pins = Set.copyOf(pins);
  }

  /** 3 retries from 2 s, verify on commit and load, keep 3. */
  public static CommitPolicy defaults() {
    return new CommitPolicy(3, Duration.ofSeconds(2), true, true, 3, Set.of(), null);
  }

  public CommitPolicy withRetries(int retries, Duration backoff) {
    return new CommitPolicy(retries, backoff, verifyOnCommit, verifyOnLoad, keep, pins, keepBest);
  }

  public CommitPolicy withRetention(int keep, Set<Long> pins) {
    return new CommitPolicy(retries, backoff, verifyOnCommit, verifyOnLoad, keep, pins, keepBest);
  }

  /** This policy, also keeping the best checkpoint by {@code rule} (null: none). */
  public CommitPolicy withKeepBest(KeepBest rule) {
    return new CommitPolicy(retries, backoff, verifyOnCommit, verifyOnLoad, keep, pins, rule);
  }

  public CommitPolicy withVerification(boolean onCommit, boolean onLoad) {
    return new CommitPolicy(retries, backoff, onCommit, onLoad, keep, pins, keepBest);
  }
}
