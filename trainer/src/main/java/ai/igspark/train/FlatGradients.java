package ai.igspark.train;

import ai.djl.ndarray.NDArray;
import ai.igspark.tensor.DeviceTransfer;
import java.nio.FloatBuffer;
import java.util.Collection;

/**
 * Copies float32 gradients into and out of one host buffer (parameters in map order, each
 * row-major), through {@link DeviceTransfer}: correct on every device. The training loop itself
 * synchronises gradients in device-side buckets ({@link GradientSync}); this whole-model copy is
 * for tests, checks and tools.
 */
public final class FlatGradients {
  private FlatGradients() {}

  /** Total number of floats. */
  public static long size(Collection<NDArray> grads) {
    long n = 0;
    for (NDArray g : grads) {
      n += g.getShape().size();
    }
    return n;
  }

  /** Writes all gradients to {@code dst} starting at its position, advancing it. */
  public static void copyTo(Collection<NDArray> grads, FloatBuffer dst) {
    for (NDArray g : grads) {
      DeviceTransfer.download(g, dst);
    }
  }

  /** Overwrites all gradients from {@code src} starting at its position, advancing it. */
  public static void copyFrom(FloatBuffer src, Collection<NDArray> grads) {
    for (NDArray g : grads) {
      DeviceTransfer.writeInto(g, src);
    }
  }
}
