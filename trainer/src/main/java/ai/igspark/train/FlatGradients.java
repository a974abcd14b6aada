package ai.igspark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Collection;

/**
 * Copies float32 gradients into and out of one flat buffer (parameters in map order, each
 * row-major), for the all-reduce. Goes through {@code toByteBuffer(true)}, a direct view of the
 * tensor memory (docs/PLATFORM.md §1: avoid {@code NDArray.set(buffer)} on gradients).
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
      dst.put(view(g));
    }
  }

  /** Overwrites all gradients from {@code src} starting at its position, advancing it. */
  public static void copyFrom(FloatBuffer src, Collection<NDArray> grads) {
    for (NDArray g : grads) {
      FloatBuffer view = view(g);
      FloatBuffer slice = src.slice();
      slice.limit(view.remaining());
      view.put(slice);
      src.position(src.position() + view.capacity());
    }
  }

  private static FloatBuffer view(NDArray g) {
    if (g.getDataType() != DataType.FLOAT32) {
      throw new IllegalArgumentException("gradients must be float32, got " + g.getDataType());
    }
    return g.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
  }
}
