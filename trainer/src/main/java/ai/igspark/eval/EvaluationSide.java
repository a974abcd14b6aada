package ai.igspark.eval;

/**
 * What one side of a comparison (reference or samples) contributes: statistics for FID/sFID and,
 * when its images went through an extractor, the pool features (precision/recall) and the
 * Inception Score. Absent parts are null.
 *
 * @param source names the file (and key) the side came from
 * @param count number of images behind the features; 0 when only stored statistics are known
 * @param pool pool-feature statistics (FID)
 * @param spatial spatial-feature statistics (sFID)
 * @param poolFeatures every pool feature vector, kept only when precision/recall needs them
 * @param inceptionScore IS of this side's images
 */
public record EvaluationSide(
    String source,
    long count,
    Gaussian pool,
    Gaussian spatial,
    FeatureMatrix poolFeatures,
    InceptionScore.Result inceptionScore) {

  /** A side known only by stored statistics (an ADM reference {@code mu}/{@code sigma}). */
  public static EvaluationSide ofStatistics(String source, Gaussian pool, Gaussian spatial) {
    return new EvaluationSide(source, 0, pool, spatial, null, null);
  }

  /**
   * Stored statistics take precedence over the ones computed from the images, as in ADM's
   * read_statistics; the image-derived parts (features, IS, count, and the spatial statistics
   * when none are stored) are kept.
   */
  public EvaluationSide withStoredStatistics(Gaussian storedPool, Gaussian storedSpatial) {
    return new EvaluationSide(
        source, count, storedPool, storedSpatial != null ? storedSpatial : spatial, poolFeatures,
        inceptionScore);
  }
}
