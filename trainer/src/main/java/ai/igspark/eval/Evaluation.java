package ai.igspark.eval;

import ai.igspark.data.InvalidInputException;
import java.util.ArrayList;
import java.util.List;

/**
 * Compares a reference side with a sample side and computes every metric their contents allow:
 * FID when both have pool statistics, sFID when both have spatial statistics, IS when the samples
 * went through an extractor with logits, precision/recall when both sides kept pool features.
 */
public final class Evaluation {
  private static final System.Logger LOG = System.getLogger(Evaluation.class.getName());

  private Evaluation() {}

  /** One-off comparison: the reference factorisations are computed here. */
  public static MetricsReport compare(
      EvaluationSide reference, EvaluationSide samples, FeatureExtractor extractor) {
    return compare(reference, samples, null, null, extractor);
  }

  /**
   * @param poolReference cached factorisation of {@code reference.pool()} (FID), or null
   * @param spatialReference cached factorisation of {@code reference.spatial()} (sFID), or null
   * @param extractor the extractor that produced image features (null when none ran)
   */
  public static MetricsReport compare(
      EvaluationSide reference,
      EvaluationSide samples,
      FrechetDistance poolReference,
      FrechetDistance spatialReference,
      FeatureExtractor extractor) {
    List<String> warnings = new ArrayList<>();
    if (samples.count() == 1) {
      throw new InvalidInputException(
          samples.source() + ": 1 sample; FID needs at least 2 to form a covariance");
    }
    Double fid = null;
    if (reference.pool() != null && samples.pool() != null) {
      checkDims("pool (FID)", reference, reference.pool(), samples, samples.pool());
      smallSampleWarning("FID", reference, reference.pool(), warnings);
      smallSampleWarning("FID", samples, samples.pool(), warnings);
      fid = cached(poolReference, reference.pool()).to(samples.pool()).value();
    }
    Double sfid = null;
    if (reference.spatial() != null && samples.spatial() != null) {
      checkDims("spatial (sFID)", reference, reference.spatial(), samples, samples.spatial());
      smallSampleWarning("sFID", reference, reference.spatial(), warnings);
      smallSampleWarning("sFID", samples, samples.spatial(), warnings);
      sfid = cached(spatialReference, reference.spatial()).to(samples.spatial()).value();
    }
    Double precision = null;
    Double recall = null;
    if (reference.poolFeatures() != null && samples.poolFeatures() != null) {
      PrecisionRecall.Result pr =
          PrecisionRecall.adm().compute(reference.poolFeatures(), samples.poolFeatures());
      precision = pr.precision();
      recall = pr.recall();
    }
    InceptionScore.Result is = samples.inceptionScore();
    if (is != null && is.samples() < InceptionScore.ADM_SPLIT_SIZE) {
      warnings.add(
          "Inception Score from " + is.samples() + " samples (one chunk of fewer than "
              + InceptionScore.ADM_SPLIT_SIZE + "): IS grows with chunk size, compare only at "
              + "equal sample counts");
    }
    for (String w : warnings) {
      LOG.log(System.Logger.Level.WARNING, w);
    }
    return new MetricsReport(
        fid, sfid,
        is != null ? is.mean() : null,
        is != null ? is.std() : null,
        precision, recall,
        reference.count(), samples.count(),
        reference.source(), samples.source(),
        extractor != null ? extractor.description() : null,
        extractor != null ? extractor.sha256() : null,
        LinearAlgebra.preferred().name(),
        List.copyOf(warnings));
  }

  private static FrechetDistance cached(FrechetDistance cache, Gaussian reference) {
    return cache != null && cache.reference() == reference
        ? cache
        : FrechetDistance.against(reference);
  }

  private static void checkDims(
      String what, EvaluationSide ref, Gaussian r, EvaluationSide smp, Gaussian s) {
    if (r.dim() != s.dim()) {
      throw new InvalidInputException(
          "mismatched " + what + " feature dimensions: " + ref.source() + " has " + r.dim()
              + ", " + smp.source() + " has " + s.dim()
              + " (both sides must come from the same feature extractor)");
    }
  }

  /** FID is biased upward for small n (docs/METRICS.md §3 item 3); with n ≤ d Σ is singular. */
  private static void smallSampleWarning(
      String metric, EvaluationSide side, Gaussian g, List<String> warnings) {
    if (side.count() > 0 && side.count() <= g.dim()) {
      warnings.add(
          metric + " from " + side.count() + " feature vectors of dimension " + g.dim() + " ("
              + side.source() + "): the covariance has rank ≤ " + (side.count() - 1) + " < "
              + g.dim() + ", so " + metric + " is biased upward and comparable only at the same n");
    }
  }
}
