package ai.igspark.metrics;

/**
 * The fixed sample grid of a committed checkpoint, written every {@code eval.grid_every_steps}
 * steps (kind {@code grid}): no metric, only the picture, at a fraction of an evaluation's cost.
 *
 * @param step the checkpoint's step
 * @param grid the PNG's path relative to the run directory; null when it failed
 * @param seconds how long sampling and writing took
 * @param error why no grid was written, {@code SimpleClassName: message}; null when it was
 * @param time ISO-8601 UTC
 */
public record GridRecord(long step, String grid, Double seconds, String error, String time)
    implements MetricsRecord {

  public static GridRecord failed(long step, String error, String time) {
    return new GridRecord(step, null, null, error, time);
  }
}
