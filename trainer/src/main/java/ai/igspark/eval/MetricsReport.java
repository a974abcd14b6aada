package ai.igspark.eval;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The metrics of one evaluation; a metric that could not be computed from the inputs is null.
 *
 * @param fid Fréchet distance of the pool features
 * @param sfid Fréchet distance of the spatial features
 * @param inceptionScore ADM Inception Score of the samples (mean over 5000-row chunks)
 * @param inceptionScoreStd population std of the chunk scores
 * @param precision improved precision (k = 3)
 * @param recall improved recall (k = 3)
 * @param referenceCount images behind the reference features (0: stored statistics only)
 * @param sampleCount images behind the sample features (0: stored statistics only)
 * @param extractorSha256 SHA-256 of the extractor file, null when no extractor ran
 * @param warnings caveats that apply to these numbers (e.g. small-n bias)
 */
public record MetricsReport(
    Double fid,
    Double sfid,
    Double inceptionScore,
    Double inceptionScoreStd,
    Double precision,
    Double recall,
    long referenceCount,
    long sampleCount,
    String reference,
    String samples,
    String extractor,
    String extractorSha256,
    String linearAlgebra,
    List<String> warnings) {

  /** The metrics.json object: snake_case keys, absent metrics left out. */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    putIfPresent(m, "fid", fid);
    putIfPresent(m, "sfid", sfid);
    putIfPresent(m, "inception_score", inceptionScore);
    putIfPresent(m, "inception_score_std", inceptionScoreStd);
    putIfPresent(m, "precision", precision);
    putIfPresent(m, "recall", recall);
    m.put("reference_count", referenceCount);
    m.put("sample_count", sampleCount);
    m.put("reference", reference);
    m.put("samples", samples);
    putIfPresent(m, "extractor", extractor);
    putIfPresent(m, "extractor_sha256", extractorSha256);
    m.put("fid_method", "factor-svd");
    m.put("linear_algebra", linearAlgebra);
    m.put("warnings", warnings);
    return m;
  }

  private static void putIfPresent(Map<String, Object> m, String key, Object value) {
    if (value != null) {
      m.put(key, value);
    }
  }
}
