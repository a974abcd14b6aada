package ai.igspark.metrics;

/**
 * What rank 0 streams to the driver after each step (kind {@code step}); the driver turns every
 * {@code train.log_every}-th into a {@link TrainRecord}. Never written to metrics.jsonl.
 *
 * @param step the global step just finished (1-based)
 * @param epoch samples seen / dataset size
 * @param lossFinal mean final-head MSE over the global batch; null except on log steps (the
 *     loss sums stay on the devices in between)
 * @param lossIg mean intermediate-head MSE, as {@code lossFinal}
 * @param lossCos mean cosine term, as {@code lossFinal}
 * @param gradNorm global gradient norm before clipping
 * @param lr the learning rate the update used
 * @param samplesPerS global batch / wall time of this step on rank 0
 * @param skippedSteps non-finite steps skipped so far in this segment
 * @param applied false when this step's update was skipped (non-finite gradient)
 */
public record StepRecord(
    long step,
    double epoch,
    Double lossFinal,
    Double lossIg,
    Double lossCos,
    double gradNorm,
    float lr,
    double samplesPerS,
    long skippedSteps,
    boolean applied)
    implements MetricsRecord {

  /** Whether the loss figures ride on this record (log steps only). */
  public boolean hasLosses() {
    return lossFinal != null;
  }
}
