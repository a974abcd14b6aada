package ai.igspark.data.format;

import ai.djl.ndarray.NDArray;

/**
 * One gathered batch.
 *
 * @param x float32 [B, C, H, W], normalised model inputs
 * @param y int64 [B] class labels
 */
public record LatentBatch(NDArray x, NDArray y) implements AutoCloseable {
  public int size() {
    return (int) y.size();
  }

  @Override
  public void close() {
    x.close();
    y.close();
  }
}
