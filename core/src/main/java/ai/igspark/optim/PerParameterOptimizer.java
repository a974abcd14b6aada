package ai.igspark.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.igspark.tensor.GradModeOff;
import java.util.Map;

/**
 * What {@link AdamW} and {@link Muon} share: named state buffers with the step count, and a step
 * that updates each parameter in turn, outside autograd, with one set of scalar operands and its
 * temporaries closed at the end.
 */
abstract class PerParameterOptimizer implements ParamOptimizer {
  final OptimizerState state;

  /** State tensors live in a sub-manager of {@code manager}. */
  PerParameterOptimizer(NDManager manager) {
    this.state = new OptimizerState(manager);
  }

  @Override
  public final void step(Map<String, NDArray> params, Map<String, NDArray> grads, float lr) {
    long t = state.increment();
    try (GradModeOff off = new GradModeOff();
        NDScope scope = new NDScope()) {
      Scalars s = new Scalars();
      for (Map.Entry<String, NDArray> e : params.entrySet()) {
        String name = e.getKey();
        update(name, e.getValue(), ParamMaps.gradient(grads, name), t, lr, s);
      }
    }
  }

  /** Updates parameter {@code name} in place; {@code t} counts steps from 1. */
  abstract void update(String name, NDArray p, NDArray g, long t, float lr, Scalars s);

  @Override
  public final long steps() {
    return state.steps();
  }

  @Override
  public final Map<String, NDArray> state() {
    return state.export();
  }

  @Override
  public final void loadState(Map<String, NDArray> tensors) {
    state.load(tensors);
  }
}
