package ai.igspark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;

/**
 * SiT's {@code nn.LayerNorm(D, elementwise_affine=False, eps=1e-6)}: no state-dict entries. The
 * native op needs γ and β, so it gets constant ones and zeros (not parameters).
 */
final class LayerNormNoAffine implements Norm {
  private final Shape normalized;
  private final NDArray ones;
  private final NDArray zeros;

  LayerNormNoAffine(ModelState state, int dim) {
    this.normalized = new Shape(dim);
    this.ones = state.manager().ones(normalized);
    this.zeros = state.manager().zeros(normalized);
  }

  @Override
  public NDArray forward(NDArray x) {
    return LayerNorm.layerNorm(x, normalized, ones, zeros, EPS).singletonOrThrow();
  }
}
