package ai.igspark.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import java.util.Collection;

/**
 * Global L2 norm of all gradients and clipping by it, as {@code torch.nn.utils.clip_grad_norm_}.
 * Hand-written because DJL's {@code optClipGrad} clamps each element from above only
 * (docs/PLATFORM.md §1).
 */
public final class GradientNorm {
  private GradientNorm() {}

  /** {@code sqrt(Σ ‖g‖²)} over all tensors, accumulated in double; NaN or ∞ if any entry is. */
  public static double of(Collection<NDArray> grads) {
    double sumSq = 0;
    try (NDScope scope = new NDScope()) {
      for (NDArray g : grads) {
        double n = g.norm().getFloat();
        sumSq += n * n;
      }
    }
    return Math.sqrt(sumSq);
  }

  /**
   * Scales all gradients in place by {@code maxNorm / (norm + 1e-6)} when that is below 1, as
   * PyTorch does; leaves them alone when the norm is not finite (the caller sees it and decides).
   *
   * @return the global norm before clipping
   */
  public static double clip(Collection<NDArray> grads, double maxNorm) {
    double norm = of(grads);
    double coef = maxNorm / (norm + 1e-6);
    if (Double.isFinite(norm) && coef < 1.0) {
      try (GradModeOff off = new GradModeOff()) {
        for (NDArray g : grads) {
          g.muli((float) coef);
        }
      }
    }
    return norm;
  }
}
