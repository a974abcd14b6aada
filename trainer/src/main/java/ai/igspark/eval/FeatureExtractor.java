package ai.igspark.eval;

import java.util.Map;

/**
 * Images in, features out (docs/METRICS.md §7): pool features (FID, precision/recall), spatial
 * features (sFID) and bias-free class logits (Inception Score), as far as the network provides
 * them. The Inception contract fixes the widths at 2048, 2023 and 1008; other extractors (the
 * Fashion-MNIST classifier) may use other widths.
 */
public interface FeatureExtractor extends AutoCloseable {

  /** What an extractor can produce. */
  enum Output {
    POOL,
    SPATIAL,
    LOGITS
  }

  /** The outputs this extractor provides and their widths. */
  Map<Output, Integer> outputs();

  /** Features of a batch of uint8 NHWC images. */
  Features extract(ImageBatch images);

  /** SHA-256 (hex) of the network file, recorded with every metric. */
  String sha256();

  /** Names the extractor (its file) in reports and messages. */
  String description();

  @Override
  void close();

  /**
   * Features of one batch, row-major count × width; absent outputs are null.
   */
  record Features(int count, float[] pool, float[] spatial, float[] logits) {
    public float[] get(Output output) {
      return switch (output) {
        case POOL -> pool;
        case SPATIAL -> spatial;
        case LOGITS -> logits;
      };
    }
  }
}
