package ai.igspark.model;

import ai.djl.ndarray.NDArray;

/** Token-wise normalisation over the last axis: LayerNorm (SiT) or RMSNorm (LightningDiT). */
interface Norm {
  float EPS = 1e-6f;

  NDArray forward(NDArray x);
}
