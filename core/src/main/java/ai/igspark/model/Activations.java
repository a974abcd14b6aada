package ai.igspark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import ai.igspark.tensor.TorchScalar;

/** The two activations the official models use that DJL does not name. */
final class Activations {
  private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2.0 / Math.PI);

  private Activations() {}

  /** SiLU(x) = x·σ(x). */
  static NDArray silu(NDArray x) {
    return x.mul(Activation.sigmoid(x));
  }

  /**
   * GELU, tanh approximation (timm {@code approx_gelu}, docs/METHOD.md §10): ½x(1 + tanh(√(2/π)(x +
   * 0.044715x³))). DJL's gelu is the exact erf form, which differs by up to ~1e-3.
   */
  static NDArray geluTanh(NDArray x) {
    // ½(1 + tanh z) = σ(2z): the same function in fewer ops (and fewer saved tensors).
    NDArray z =
        x.mul(x).mul(x).mul(TorchScalar.like(x, 0.044715f)).add(x)
            .mul(TorchScalar.like(x, 2f * SQRT_2_OVER_PI));
    return x.mul(Activation.sigmoid(z));
  }
}
