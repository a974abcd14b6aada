package ai.igspark.model;

import ai.djl.ndarray.NDArray;

/** timm's Mlp as SiT uses it: fc2(GELU_tanh(fc1(x))), D → ⌊D·mlp_ratio⌋ → D. */
final class Mlp implements FeedForward {
  private final Linear fc1;
  private final Linear fc2;

  Mlp(ModelState state, String prefix, int hidden, int mlpHidden) {
    this.fc1 = new Linear(state, prefix + "fc1.", hidden, mlpHidden);
    this.fc2 = new Linear(state, prefix + "fc2.", mlpHidden, hidden);
  }

  @Override
  public NDArray forward(NDArray x) {
    return fc2.forward(Activations.geluTanh(fc1.forward(x)));
  }
}
