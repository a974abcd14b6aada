package ai.igspark.eval;

import ai.igspark.data.InvalidInputException;
import java.util.Arrays;

/**
 * Runs every image of a source through an extractor once and accumulates what the metrics need:
 * double-precision statistics of pool and spatial features, optionally every pool vector (for
 * precision/recall) and the ADM Inception Score of the logits.
 */
public final class ImageFeatures {
  /** ADM streams images in batches of 64. */
  public static final int DEFAULT_BATCH = 64;

  private ImageFeatures() {}

  /** What to collect besides the statistics. */
  public record Wanted(boolean poolFeatures, boolean inceptionScore, int batchSize) {}

  public static EvaluationSide collect(
      ImageSource images, FeatureExtractor extractor, Wanted wanted) {
    var outputs = extractor.outputs();
    Integer poolDim = outputs.get(FeatureExtractor.Output.POOL);
    Integer spatialDim = outputs.get(FeatureExtractor.Output.SPATIAL);
    boolean logits = wanted.inceptionScore() && outputs.containsKey(FeatureExtractor.Output.LOGITS);
    FeatureStatistics pool = poolDim != null ? FeatureStatistics.create(poolDim) : null;
    FeatureStatistics spatial = spatialDim != null ? FeatureStatistics.create(spatialDim) : null;
    InceptionScore is = logits ? InceptionScore.admChunks(InceptionScore.ADM_SPLIT_SIZE) : null;
    float[] kept = wanted.poolFeatures() && poolDim != null ? new float[0] : null;
    int keptRows = 0;
    long count = 0;
    ImageBatch batch;
    while ((batch = images.next(wanted.batchSize())) != null) {
      FeatureExtractor.Features f = extractor.extract(batch);
      if (pool != null) {
        pool.add(f.pool(), f.count());
      }
      if (spatial != null) {
        spatial.add(f.spatial(), f.count());
      }
      if (is != null) {
        is.addLogits(f.logits(), f.count());
      }
      if (kept != null) {
        int need = (keptRows + f.count()) * poolDim;
        if (need > kept.length) {
          kept = Arrays.copyOf(kept, Math.max(need, kept.length * 3 / 2));
        }
        System.arraycopy(f.pool(), 0, kept, keptRows * poolDim, f.count() * poolDim);
        keptRows += f.count();
      }
      count += f.count();
    }
    if (count == 0) {
      throw new InvalidInputException(images.description() + ": holds no images");
    }
    return new EvaluationSide(
        images.description(),
        count,
        pool != null && count >= 2 ? pool.gaussian() : null,
        spatial != null && count >= 2 ? spatial.gaussian() : null,
        kept != null
            ? FeatureMatrix.ofFloats(Arrays.copyOf(kept, keptRows * poolDim), keptRows, poolDim)
            : null,
        is != null && count > 0 ? is.result() : null);
  }
}
