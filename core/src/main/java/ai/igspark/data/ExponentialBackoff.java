package ai.igspark.data;

import java.time.Duration;

/**
 * The wait before the n-th retry in a row: {@code min(max, first · 2^(n−1))}. The one backoff of
 * the project (segment retries, checkpoint commit retries).
 */
public record ExponentialBackoff(Duration first, Duration max) {
  public ExponentialBackoff {
    if (first.isNegative() || max.isNegative()) {
      throw new IllegalArgumentException("backoff ≥ 0 expected, got " + first + ", max " + max);
    }
  }

  /** Seconds, as the run config states them. */
  public static ExponentialBackoff ofSeconds(double first, double max) {
    return new ExponentialBackoff(millis(first), millis(max));
  }

  private static Duration millis(double seconds) {
    return Duration.ofMillis(Math.round(seconds * 1000));
  }

  /** The wait before retry {@code n} (1 = the first retry after a failure). */
  public Duration before(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("retry number ≥ 1 expected, got " + n);
    }
    long first = this.first.toMillis();
    int doublings = n - 1;
    if (first == 0) {
      return Duration.ZERO;
    }
    if (doublings >= 62 || first > max.toMillis() >> doublings) {
      return max; // first · 2^(n−1) > max, decided without overflow
    }
    return Duration.ofMillis(first << doublings);
  }
}
