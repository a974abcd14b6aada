package ai.igspark.train;

import ai.igspark.metrics.MetricsPublisher;
import ai.igspark.metrics.StepRecord;

/** Rank 0's {@link StepRecord} after each step, streamed live to the driver. */
final class StepReporter {
  private final MetricsPublisher publisher;
  private final java.util.function.LongToDoubleFunction epochsAt;
  private final int globalBatch;

  /**
   * @param publisher the stream to the driver on rank 0; null on the other ranks, which report
   *     nothing
   */
  StepReporter(MetricsPublisher publisher, java.util.function.LongToDoubleFunction epochsAt,
      int globalBatch) {
    this.publisher = publisher;
    this.epochsAt = epochsAt;
    this.globalBatch = globalBatch;
  }

  /**
   * Publishes step {@code step} (0-based) on rank 0.
   *
   * @param lossSums Σ l_final, Σ l_inter, Σ l_cos over the global batch on a log step, else null
   * @param startNanos when the step started
   */
  void report(long step, double[] lossSums, UpdateResult update, long startNanos, long skipped) {
    if (publisher != null) {
      double seconds = (System.nanoTime() - startNanos) / 1e9;
      publisher.publish(record(step, lossSums, update, seconds, skipped));
    }
  }

  /** The record of step {@code step} (0-based): means over the global batch, throughput. */
  StepRecord record(
      long step, double[] lossSums, UpdateResult update, double seconds, long skipped) {
    boolean losses = lossSums != null;
    return new StepRecord(
        step + 1,
        epochsAt.applyAsDouble(step + 1),
        losses ? lossSums[0] / globalBatch : null,
        losses ? lossSums[1] / globalBatch : null,
        losses ? lossSums[2] / globalBatch : null,
        update.gradNorm(),
        update.lr(),
        globalBatch / seconds,
        skipped,
        update.applied());
  }
}
