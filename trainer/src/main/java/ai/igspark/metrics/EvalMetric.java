package ai.igspark.metrics;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The metrics an {@code eval} record can carry ({@link EvalRecord}), under the names
 * metrics.jsonl gives them, with the direction in which each is better. Latent evaluations
 * (VAE decoder and Inception) give FID, sFID, IS, precision and recall; pixel Fashion-MNIST ones
 * give FD-FMNIST and the classifier score (docs/evaluation.md).
 */
public enum EvalMetric {
  FID(EvalRecord.FID, true, true),
  SFID("sfid", true, true),
  INCEPTION_SCORE("inception_score", false, true),
  PRECISION("precision", false, true),
  RECALL("recall", false, true),
  FD_FMNIST(EvalRecord.FD_FMNIST, true, false),
  CLASSIFIER_SCORE("classifier_score", false, false);

  private final String key;
  private final boolean lowerIsBetter;
  private final boolean latent;

  EvalMetric(String key, boolean lowerIsBetter, boolean latent) {
    this.key = key;
    this.lowerIsBetter = lowerIsBetter;
    this.latent = latent;
  }

  /** The name in metrics.jsonl and in the run config ({@code checkpoint.keep_best.metric}). */
  public String key() {
    return key;
  }

  public boolean lowerIsBetter() {
    return lowerIsBetter;
  }

  /** The metrics an evaluation of a latent (true) or pixel Fashion-MNIST (false) model gives. */
  public static List<EvalMetric> of(boolean latent) {
    return Arrays.stream(values()).filter(m -> m.latent == latent).toList();
  }

  public static Optional<EvalMetric> byKey(String key) {
    return Arrays.stream(values()).filter(m -> m.key.equals(key)).findFirst();
  }

  /** This metric's value in {@code r}; empty when not computed or the evaluation failed. */
  public Optional<Double> valueIn(EvalRecord r) {
    if (r.error() != null) {
      return Optional.empty();
    }
    Double v = switch (this) {
      case FID, FD_FMNIST -> key.equals(r.metric()) ? r.value() : null;
      case SFID -> r.sfid();
      case INCEPTION_SCORE -> r.inceptionScore();
      case PRECISION -> r.precision();
      case RECALL -> r.recall();
      case CLASSIFIER_SCORE -> r.classifierScore();
    };
    return v == null || !Double.isFinite(v) ? Optional.empty() : Optional.of(v);
  }

  @Override
  public String toString() {
    return key;
  }
}
