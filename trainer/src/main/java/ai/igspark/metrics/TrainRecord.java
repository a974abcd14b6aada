package ai.igspark.metrics;

/**
 * Training progress every {@code train.log_every} steps (kind {@code train}), written by the
 * driver from rank 0's {@link StepRecord}. A figure that was not computed is NaN.
 *
 * @param loss L = L_final + λ·L_inter (+ the cosine term), docs/METHOD.md §2.3
 * @param lr the update's learning rate: the decimal that names the optimizer's float (3.0E-4,
 *     not 2.9999999E-4)
 * @param skippedSteps non-finite steps skipped in the current segment, cumulative
 * @param worldSize the ranks that trained the step
 * @param time ISO-8601 UTC, when the driver logged it
 */
public record TrainRecord(
    long step,
    double epoch,
    double loss,
    double lossFinal,
    double lossIg,
    double lossCos,
    double gradNorm,
    double lr,
    double samplesPerS,
    long skippedSteps,
    int worldSize,
    String time)
    implements MetricsRecord {}
