package ai.igspark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** {@code nn.Linear}: y = x·Wᵀ + b, with W stored [out, in] as in PyTorch. */
final class Linear {
  private final ModelState state;
  private final String weight;
  private final String bias;

  /** Xavier-uniform weight, zero bias: DiT's default for every linear. */
  Linear(ModelState state, String prefix, long in, long out) {
    this(state, prefix, in, out, Init.xavierUniform(in, out));
  }

  Linear(ModelState state, String prefix, long in, long out, Init weightInit) {
    this.state = state;
    this.weight = prefix + "weight";
    this.bias = prefix + "bias";
    state.trainable(weight, new Shape(out, in), weightInit);
    state.trainable(bias, new Shape(out), Init.zeros());
  }

  NDArray forward(NDArray x) {
    return ai.djl.nn.core.Linear.linear(x, state.get(weight), state.get(bias)).singletonOrThrow();
  }
}
