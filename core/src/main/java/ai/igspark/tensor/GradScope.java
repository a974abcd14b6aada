package ai.igspark.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Records autograd on this thread for a block and runs backward from a loss: what DJL's
 * GradientCollector does, minus its JVM-wide "one collector at a time" flag, so every replica's
 * thread can run forward and backward at once (docs/ARCHITECTURE.md §4.2). libtorch's grad mode
 * is thread-local, so nothing here reaches another thread; the previous mode is restored on close.
 */
public final class GradScope implements AutoCloseable {
  private final boolean previous;

  public GradScope() {
    previous = JniUtils.isGradMode();
    JniUtils.setGradMode(true);
  }

  /** Accumulates d(loss)/dθ into the gradients of every parameter that requires grad. */
  public void backward(NDArray loss) {
    // The seed gradient is ones of the loss's shape, as GradientCollector.backward uses.
    try (NDArray seed = loss.onesLike()) {
      JniUtils.backward((PtNDArray) loss, (PtNDArray) seed, false, false);
    }
  }

  @Override
  public void close() {
    JniUtils.setGradMode(previous);
  }
}
