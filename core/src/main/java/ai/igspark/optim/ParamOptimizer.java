package ai.igspark.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.igspark.tensor.FlatParameters;
import java.util.Map;

/**
 * An optimizer over named parameters, updated in place. Parameters and gradients are given as
 * ordered maps with the same keys (official parameter names); state tensors are exported and
 * imported by name for checkpoints.
 */
public interface ParamOptimizer {

  /** One update with learning rate {@code lr}; gradients are read, not modified or zeroed. */
  void step(Map<String, NDArray> params, Map<String, NDArray> grads, float lr);

  /**
   * One update on the gradients scaled by {@code gradScale} (global-norm clipping, {@link
   * GradientNorm#clipScale}; 1 for none), bitwise as if each gradient were first multiplied in
   * place by it. This default does exactly that; flat optimizers scale their gathered copy and
   * leave the gradients alone.
   */
  default void step(
      Map<String, NDArray> params, Map<String, NDArray> grads, float lr, float gradScale) {
    GradientNorm.scale(grads.values(), gradScale);
    step(params, grads, lr);
  }

  /**
   * One update of flat parameters from their gradients scaled by {@code gradScale}, bitwise as the
   * map form on their views. This default runs exactly that; {@link AdamW} works on the group
   * buffers directly.
   */
  default void step(FlatParameters params, float lr, float gradScale) {
    try (NDScope scope = new NDScope()) {
      step(params.views(), params.gradientViews(), lr, gradScale);
    }
  }

  /** Number of updates applied so far. */
  long steps();

  /**
   * The live state tensors by name ({@code "<param>.<buffer>"}, plus {@code "step"}), owned by the
   * optimizer: read or copy them, do not close them. Empty before the first step.
   */
  Map<String, NDArray> state();

  /** Replaces the state by copies of {@code state} (as exported by {@link #state()}). */
  void loadState(Map<String, NDArray> state);
}
