package ai.igspark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.igspark.tensor.TorchScalar;

/**
 * LightningDiT's RMSNorm: x·rsqrt(mean(x²) + 1e-6)·w, w learnable (init 1), in fp32
 * (docs/METHOD.md §4.2).
 */
final class RmsNorm implements Norm {
  private final ModelState state;
  private final String weight;

  RmsNorm(ModelState state, String prefix, int dim) {
    this.state = state;
    this.weight = prefix + "weight";
    state.trainable(weight, new Shape(dim), Init.ones());
  }

  @Override
  public NDArray forward(NDArray x) {
    int last = x.getShape().dimension() - 1;
    NDArray rms = x.square().mean(new int[] {last}, true).add(TorchScalar.like(x, EPS)).sqrt();
    return x.div(rms).mul(state.get(weight));
  }
}
