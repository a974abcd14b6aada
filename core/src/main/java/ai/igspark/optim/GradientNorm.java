package ai.igspark.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
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
   * per-tensor norms are computed on the device and read back in one transfer: the step's one
   * host synchronisation (reading each norm on its own would be one per parameter).
   */
  public static double of(Collection<NDArray> grads) {
    if (grads.isEmpty()) {
      return 0;
    }
    double sumSq = 0;
    try (NDScope scope = new NDScope()) {
      NDList norms = new NDList(grads.size());
      for (NDArray g : grads) {
        norms.add(g.norm());
      }
      for (float n : DeviceTransfer.download(NDArrays.stack(norms))) {
        sumSq += (double) n * n;
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
    scale(grads, maxNorm, norm);
    return norm;
  }

  /** The scaling of {@link #clip} with the norm already known (no host read). */
  public static void scale(Collection<NDArray> grads, double maxNorm, double norm) {
    double coef = maxNorm / (norm + 1e-6);
    if (Double.isFinite(norm) && coef < 1.0) {
      try (GradModeOff off = new GradModeOff();
          NDScope scope = new NDScope()) {
        Scalars s = new Scalars();
        for (NDArray g : grads) {
          g.muli(s.of(g, (float) coef));
        }
      }
    }
  }
}
