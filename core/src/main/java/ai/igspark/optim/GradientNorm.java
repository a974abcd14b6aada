package ai.igspark.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.igspark.tensor.DeviceTransfer;
import ai.igspark.tensor.GradModeOff;
import java.util.Collection;

/**
 * Global L2 norm of all gradients and clipping by it, as {@code torch.nn.utils.clip_grad_norm_}.
 * Hand-written because DJL's {@code optClipGrad} clamps each element from above only
 * (docs/PLATFORM.md §1).
 */
public final class GradientNorm {
  private GradientNorm() {}

  /**
   * {@code sqrt(Σ ‖g‖²)} over all tensors, accumulated in double; NaN or ∞ if any entry is. The
   * sum runs on the device and one float64 scalar is read back: the step's one host
   * synchronisation, which also decides whether the step is skipped.
   */
  public static double of(Collection<NDArray> grads) {
    if (grads.isEmpty()) {
      return 0;
    }
    try (NDScope scope = new NDScope()) {
      return DeviceTransfer.downloadDoubles(onDevice(grads))[0];
    }
  }

  /**
   * {@link #of} as a float64 scalar on the gradients' device, in the caller's scope. The
   * per-tensor float32 norms are squared in double and summed in order by {@code cumsum}, the
   * same operations in the same order as a host loop over them, so the value is bitwise that of
   * summing the downloaded norms on the host.
   */
  public static NDArray onDevice(Collection<NDArray> grads) {
    NDList norms = new NDList(grads.size());
    for (NDArray g : grads) {
      norms.add(g.norm());
    }
    NDArray n = NDArrays.stack(norms).toType(DataType.FLOAT64, false);
    NDArray running = n.mul(n).cumSum(0);
    return running.get(running.getShape().get(0) - 1).sqrt();
  }

  /**
   * Scales all gradients in place by {@code maxNorm / (norm + 1e-6)} when that is below 1, as
   * PyTorch does; leaves them alone when the norm is not finite (the caller sees it and decides).
   *
   * @return the global norm before clipping
   */
  public static double clip(Collection<NDArray> grads, double maxNorm) {
    double norm = of(grads);
    scale(grads, maxNorm, norm);
    return norm;
  }

  /** The scaling of {@link #clip} with the norm already known (no host read). */
  public static void scale(Collection<NDArray> grads, double maxNorm, double norm) {
    scale(grads, clipScale(maxNorm, norm));
  }

  /**
   * The factor clipping multiplies the gradients by: {@code maxNorm / (norm + 1e-6)} in double,
   * rounded to float, when that is below 1 and the norm is finite; else exactly 1 (no change).
   */
  public static float clipScale(double maxNorm, double norm) {
    double coef = maxNorm / (norm + 1e-6);
    return Double.isFinite(norm) && coef < 1.0 ? (float) coef : 1f;
  }

  /** Multiplies every gradient in place by {@code factor} (nothing to do for 1). */
  public static void scale(Collection<NDArray> grads, float factor) {
    if (factor == 1f) {
      return;
    }
    try (GradModeOff off = new GradModeOff();
        NDScope scope = new NDScope()) {
      Scalars s = new Scalars();
      for (NDArray g : grads) {
        g.muli(s.of(g, factor));
      }
    }
  }
}
