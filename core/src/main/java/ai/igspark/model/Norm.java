package ai.igspark.model;

import ai.djl.ndarray.NDArray;

/** Token-wise normalisation over the last axis: LayerNorm (SiT) or RMSNorm (LightningDiT). */
interface Norm {
  float EPS = 1e-6f;

  NDArray forward(NDArray x);

  /** The family's norm over {@code dim}: RMSNorm (entry {@code prefix + "weight"}) or LayerNorm. */
  static Norm of(ModelConfig cfg, ModelState state, String prefix, int dim) {
    return cfg.family() == ModelConfig.Family.LIGHTNINGDIT
        ? new RmsNorm(state, prefix, dim)
        : new LayerNormNoAffine(state, dim);
  }
}
