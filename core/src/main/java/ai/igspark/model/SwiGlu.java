package ai.igspark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/** LightningDiT's SwiGLU: (x1, x2) = chunk₂(w12·x), out = w3(SiLU(x1)·x2), D → 2H → H → D. */
final class SwiGlu implements FeedForward {
  private final Linear w12;
  private final Linear w3;

  SwiGlu(ModelState state, String prefix, int hidden, int swigluHidden) {
    this.w12 = new Linear(state, prefix + "w12.", hidden, 2L * swigluHidden);
    this.w3 = new Linear(state, prefix + "w3.", swigluHidden, hidden);
  }

  @Override
  public NDArray forward(NDArray x) {
    NDArray x12 = w12.forward(x);
    NDList halves = x12.split(2, x12.getShape().dimension() - 1);
    return w3.forward(Activations.silu(halves.get(0)).mul(halves.get(1)));
  }
}
