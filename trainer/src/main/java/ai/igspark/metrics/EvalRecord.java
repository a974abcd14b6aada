package ai.igspark.metrics;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import java.util.List;

/**
 * One evaluation of a checkpoint under one guidance setting (kind {@code eval}): in training
 * (metrics.jsonl and {@code eval/step-N/metrics.json}), by {@code igspark demo} and by {@code
 * igspark evaluate --checkpoint}. Metrics that were not computed are null and left out; a failed
 * evaluation ({@link #failed}) has only {@code step}, {@code error} and {@code time}.
 *
 * @param metric {@link #FID} (latent models) or {@link #FD_FMNIST} (pixel Fashion-MNIST models)
 * @param value the metric's value
 * @param sfid spatial FID, latent models when the Inception provides spatial features
 * @param inceptionScore ADM Inception Score, latent models
 * @param classifierScore the Fashion-MNIST classifier's score, FD-FMNIST records
 * @param precision improved precision (k = 3), when computed
 * @param recall improved recall (k = 3), when computed
 * @param setting how the samples were drawn (its keys sit at the top level of the JSON object)
 * @param extractorSha256 SHA-256 of the Inception or of the classifier
 * @param decoderSha256 SHA-256 of the VAE decoder, latent models
 * @param uint8 how decoded images became 8-bit ({@code floor} or {@code round}), latent models
 * @param reference the reference batch, latent models
 * @param warnings caveats of these numbers (e.g. small-n bias); null when there are none
 * @param grid the sample grid PNG, relative to the run directory
 * @param seconds the evaluation's wall time
 * @param error why the evaluation failed
 * @param time ISO-8601 UTC
 */
public record EvalRecord(
    long step,
    String metric,
    Double value,
    Double sfid,
    Double inceptionScore,
    Double classifierScore,
    Double precision,
    Double recall,
    @JsonUnwrapped EvalSetting setting,
    String extractorSha256,
    String decoderSha256,
    String uint8,
    String reference,
    List<String> warnings,
    String grid,
    Double seconds,
    String error,
    String time)
    implements MetricsRecord {
  public static final String FID = "fid";
  public static final String FD_FMNIST = "fd_fmnist";
  private static final EvalSetting NO_SETTING =
      new EvalSetting(null, null, null, null, null, null, null, null);

  public EvalRecord {
    // A failed evaluation read back has a setting of nulls: the same record as the one written.
    if (NO_SETTING.equals(setting)) {
      setting = null;
    }
  }

  /** The record of an evaluation that failed (training goes on). */
  public static EvalRecord failed(long step, String error, String time) {
    return new EvalRecord(step, null, null, null, null, null, null, null, null, null, null, null,
        null, null, null, null, error, time);
  }

  /** This record with its wall time. */
  public EvalRecord withSeconds(double wall) {
    return new EvalRecord(step, metric, value, sfid, inceptionScore, classifierScore, precision,
        recall, setting, extractorSha256, decoderSha256, uint8, reference, warnings, grid, wall,
        error, time);
  }
}
